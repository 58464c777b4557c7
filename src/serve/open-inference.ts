// The Open Inference Protocol (KServe v2, Triton's HTTP/REST "predict protocol v2"): how a served model is
// described to it, and the JSON tensor form of an infer request and its answer. A client written against
// these endpoints moves to Triton or KServe serving the same ONNX file unchanged: the tensors carry the
// graph's own input and output names, its layout (NCHW files take NCHW data, as onnxruntime would) and
// the protocol's datatypes. Only JSON tensor data is spoken (not Triton's binary-data extension).
import type { EnvSpec } from '../envs/types.js';
import type { PolicyFileInfo } from '../policy/file.js';
import { argmax } from '../policy/agreement.js';
import { answerInference, type Answer } from './answers.js';
import type { ServedModel } from './models.js';
import { checkNumber, RequestError } from './validate.js';

/** The one model version a served file has: the protocol's URLs may name it (…/versions/1/…). */
export const MODEL_VERSION = '1';
/** What GET /v2/models/{name} reports as the platform: Triton's name for an ONNX file run by onnxruntime. */
export const PLATFORM = 'onnxruntime_onnx';

/** A tensor as model metadata describes it: -1 marks the batch dimension, whose size any request picks. */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** A served model's tensors in the protocol's terms. */
export interface ModelTensors {
  /** The graph's observation input, in the file's own layout. */
  input: TensorMetadata;
  /** Output tensors in answer order: the Q-values (or logits) first, then the greedy action. */
  outputs: TensorMetadata[];
  /** Name of the Q-values output, or null for a file that gives actions only. */
  qValues: string | null;
  /** Name of the actions output: the graph's own (after an ArgMax) or "action", added by serve. */
  action: string;
  /** The file takes NCHW where the env observes HWC: request data are transposed before the policy sees them. */
  nchw: boolean;
}

/** The tensors of a file as the protocol names them (from what the policy reader found in its graph). */
export function modelTensors(spec: EnvSpec, info: PolicyFileInfo): ModelTensors {
  const datatype = info.float16 ? 'FP16' : 'FP32';
  const nchw = info.inputLayout === 'nchw';
  const [h, w, c] = spec.observationShape;
  const input = { name: info.inputName, datatype, shape: [-1, ...(nchw ? [c, h, w] : spec.observationShape)] };
  if (info.output === 'actions') {
    return { input, outputs: [{ name: info.outputName, datatype: 'INT64', shape: [-1] }], qValues: null, action: info.outputName, nchw };
  }
  const action = info.actionsOutput ?? (info.outputName === 'action' ? 'greedy_action' : 'action');
  return {
    input,
    outputs: [
      { name: info.outputName, datatype, shape: [-1, spec.actionCount] },
      { name: action, datatype: 'INT64', shape: [-1] },
    ],
    qValues: info.outputName,
    action,
    nchw,
  };
}

/** GET /v2/models/{name}: the protocol's model metadata. */
export function modelMetadata(model: ServedModel): Record<string, unknown> {
  const { input, outputs } = model.tensors;
  return { name: model.name, versions: [MODEL_VERSION], platform: PLATFORM, inputs: [input], outputs };
}

/** An infer request, checked against the model. */
export interface InferRequest {
  /** The request's id, echoed in the answer. */
  id?: string;
  /** Observations one after another in the env's native layout. */
  observations: Float32Array;
  count: number;
  /** The outputs to answer with, in order (all of them when the request names none). */
  outputs: TensorMetadata[];
}

const REQUEST_FIELDS = new Set(['id', 'parameters', 'inputs', 'outputs']);
const INPUT_FIELDS = new Set(['name', 'shape', 'datatype', 'parameters', 'data']);
const OUTPUT_FIELDS = new Set(['name', 'parameters']);
/** Parameters of Triton's binary-data extension, which this server does not speak. */
const BINARY_PARAMETERS = ['binary_data', 'binary_data_output', 'binary_data_size'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const showShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Checks the body of POST /v2/models/{name}/infer against `tensors`; RequestError (400) names the first thing wrong. */
export function parseInferRequest(body: unknown, tensors: ModelTensors, maxRequestBatch: number): InferRequest {
  if (!isObject(body)) throw new RequestError(400, 'the body must be a JSON object with "inputs" (a list of tensors)');
  for (const field of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(field)) throw new RequestError(400, `unknown field "${field}" (an infer request has "id", "parameters", "inputs" and "outputs")`);
  }
  const { id, parameters, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') throw new RequestError(400, '"id" must be a string');
  checkParameters(parameters, 'parameters');
  if (!Array.isArray(inputs)) throw new RequestError(400, '"inputs" must be a list of tensors');
  if (inputs.length !== 1) throw new RequestError(400, `"inputs" has ${inputs.length} tensors; this model takes one, '${tensors.input.name}'`);
  const { observations, count } = readInput(inputs[0], tensors, maxRequestBatch);
  return { ...(id === undefined ? {} : { id }), observations, count, outputs: requestedOutputs(outputs, tensors) };
}

function checkParameters(value: unknown, label: string): void {
  if (value === undefined) return;
  if (!isObject(value)) throw new RequestError(400, `"${label}" must be an object`);
  for (const name of BINARY_PARAMETERS) {
    if (value[name] !== undefined && value[name] !== false) {
      throw new RequestError(400, `${label}.${name}: binary tensor data (Triton's extension) is not supported; this server answers JSON tensors`);
    }
  }
}

function readInput(value: unknown, tensors: ModelTensors, maxRequestBatch: number): { observations: Float32Array; count: number } {
  const label = 'inputs[0]';
  const { input } = tensors;
  if (!isObject(value)) throw new RequestError(400, `${label} must be an object with "name", "shape", "datatype" and "data"`);
  for (const field of Object.keys(value)) {
    if (!INPUT_FIELDS.has(field)) throw new RequestError(400, `unknown field "${field}" in ${label}`);
  }
  if (value.name !== input.name) {
    throw new RequestError(400, `${label}.name is ${JSON.stringify(value.name ?? null)}; this model's input is '${input.name}'`);
  }
  if (value.datatype !== input.datatype) {
    throw new RequestError(400, `${label}.datatype is ${JSON.stringify(value.datatype ?? null)}; input '${input.name}' is ${input.datatype}`);
  }
  checkParameters(value.parameters, `${label}.parameters`);
  const shape = value.shape;
  const inner = input.shape.slice(1);
  const fits =
    Array.isArray(shape) && shape.length === input.shape.length && shape.every((d) => Number.isSafeInteger(d) && d >= 0) && inner.every((d, i) => shape[i + 1] === d);
  if (!fits) {
    throw new RequestError(400, `${label}.shape is ${JSON.stringify(shape ?? null)}; input '${input.name}' takes ${showShape(input.shape)}, where -1 stands for the batch size: give the number of observations sent (1 or more)`);
  }
  const count = shape[0] as number;
  if (count === 0) throw new RequestError(400, `${label}.shape has a batch of 0; send at least one observation`);
  if (count > maxRequestBatch) throw new RequestError(400, `${label}.shape has a batch of ${count}; this server takes at most ${maxRequestBatch} per request`);
  const size = inner.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count * size);
  readTensorData(value.data, shape as number[], `${label}.data`, data);
  if (!tensors.nchw) return { observations: data, count };
  const [c, h, w] = inner;
  return { observations: chwToHwc(data, count, c, h, w), count };
}

/**
 * Copies tensor data into `out`: flat (row-major, as many numbers as the shape holds) or nested in the
 * shape's own lists, the two forms the protocol allows.
 */
function readTensorData(data: unknown, shape: number[], label: string, out: Float32Array): void {
  if (!Array.isArray(data)) throw new RequestError(400, `${label} must be a list of numbers (flat, or nested as the shape)`);
  if (data.length === out.length && (data.length === 0 || !Array.isArray(data[0]))) {
    for (let i = 0; i < out.length; i++) out[i] = checkNumber(data[i], `${label}[${i}]`);
    return;
  }
  if (!Array.isArray(data[0])) {
    throw new RequestError(400, `${label} has ${data.length} values; shape ${showShape(shape)} holds ${out.length}`);
  }
  const written = readNested(data, shape, 0, label, out, 0);
  if (written !== out.length) throw new RequestError(400, `${label} holds ${written} values; shape ${showShape(shape)} holds ${out.length}`);
}

function readNested(value: unknown, shape: number[], axis: number, label: string, out: Float32Array, offset: number): number {
  const length = shape[axis];
  const last = axis === shape.length - 1;
  if (!Array.isArray(value)) throw new RequestError(400, `${label} must be a list of ${length} ${last ? 'numbers' : 'lists'} (shape ${showShape(shape)})`);
  if (value.length !== length) throw new RequestError(400, `${label} is a list of ${value.length}, but axis ${axis} of shape ${showShape(shape)} has size ${length}`);
  for (let i = 0; i < length; i++) {
    if (last) out[offset++] = checkNumber(value[i], `${label}[${i}]`);
    else offset = readNested(value[i], shape, axis + 1, `${label}[${i}]`, out, offset);
  }
  return offset;
}

/** NCHW observations (as the file takes them) → HWC (as the env and the policy give them). */
function chwToHwc(data: Float32Array, count: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  const size = c * h * w;
  for (let n = 0; n < count; n++) {
    const base = n * size;
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[base + (y * w + x) * c + ch] = data[base + (ch * h + y) * w + x];
  }
  return out;
}

function requestedOutputs(value: unknown, tensors: ModelTensors): TensorMetadata[] {
  if (value === undefined) return tensors.outputs;
  if (!Array.isArray(value)) throw new RequestError(400, '"outputs" must be a list of {"name": ...}');
  const chosen: TensorMetadata[] = [];
  value.forEach((entry, i) => {
    const label = `outputs[${i}]`;
    if (!isObject(entry) || typeof entry.name !== 'string') throw new RequestError(400, `${label} must be an object with a "name"`);
    for (const field of Object.keys(entry)) {
      if (!OUTPUT_FIELDS.has(field)) throw new RequestError(400, `unknown field "${field}" in ${label}`);
    }
    checkParameters(entry.parameters, `${label}.parameters`);
    const output = tensors.outputs.find((o) => o.name === entry.name);
    if (!output) throw new RequestError(400, `${label}.name: no output '${entry.name}' (this model's outputs: ${tensors.outputs.map((o) => o.name).join(', ')})`);
    if (chosen.includes(output)) throw new RequestError(400, `${label}.name: output '${entry.name}' is asked for twice`);
    chosen.push(output);
  });
  return chosen;
}

/** The answer to POST /v2/models/{name}/infer with `body` for `model`. */
export function answerInfer(model: ServedModel, body: unknown, maxRequestBatch: number): Promise<Answer> {
  const { tensors } = model;
  const actionCount = model.policy.spec.actionCount;
  return answerInference(
    model,
    () => parseInferRequest(body, tensors, maxRequestBatch),
    (outputs, request) => ({
      model_name: model.name,
      model_version: MODEL_VERSION,
      ...(request.id === undefined ? {} : { id: request.id }),
      outputs: request.outputs.map((output) => ({
        name: output.name,
        datatype: output.datatype,
        shape: output.name === tensors.qValues ? [request.count, actionCount] : [request.count],
        data: output.name === tensors.qValues ? Array.from(outputs) : actions(outputs, request.count, actionCount),
      })),
    }),
  );
}

function actions(outputs: Float32Array, count: number, actionCount: number): number[] {
  const chosen = new Array<number>(count);
  for (let i = 0; i < count; i++) chosen[i] = argmax(outputs, i * actionCount, actionCount);
  return chosen;
}

