// What a policy file is and whether it fits an environment: read from the ONNX graph and its qdistill.*
// metadata, so files from PyTorch, Stable-Baselines3 or tf2onnx (no metadata, other tensor names) work
// when --env is given. Every mismatch is one line that says what the file has and what the env needs.
import { checkEnvId, envSpec, restoreEnvOptions } from '../envs/registry.js';
import type { EnvSpec } from '../envs/types.js';

import { metadataOf, valueInfoDims } from '../onnx/graph.js';
import { OnnxFormatError, type ModelProto } from '../onnx/model.js';
import { formatShape } from '../onnx/dims.js';
import { inferShapes, type GraphShapes } from '../onnx/shapes.js';
import { DataType, dataTypeName, isIntegerType } from '../onnx/tensor.js';
import type { ValueInfoProto } from '../onnx/proto.js';
import { UsageError } from '../util/errors.js';
import { traceActions } from './actions-trace.js';
import { METADATA_KEYS } from './metadata.js';

/** What a policy file holds, read from its graph and its qdistill.* metadata. */
export interface PolicyFileInfo {
  /** The environment named by qdistill.env metadata, or null for files from elsewhere. */
  env: string | null;
  /**
   * What the output holds: Q-values, logits of a student trained on actions, or — 'actions' — only the
   * actions: an integer output that no float Q-values of the env's actions can be traced behind (an action
   * table looked up after the ArgMax, a comparison, a network computed in float64). An actions policy's
   * act() gives the file's action; its qValues() gives one-hot rows of those actions (1 for the chosen
   * action, 0 elsewhere), so argmax-based figures (agreement, evaluation) hold, but it has no Q-values:
   * losses and measures that need them (KL, MSE) refuse it.
   */
  output: 'q_values' | 'logits' | 'actions';
  /** The env's number of actions: the width of the Q-values (or of an actions policy's one-hot rows). */
  actionCount: number;
  /** How the file takes image observations: the env's own layout, or NCHW (transposed by the policy). */
  inputLayout: 'native' | 'nchw';
  /** Name of the graph's observation input. */
  inputName: string;
  /**
   * Name of the tensor read: the output named by --output, else 'q_values' or 'logits' when present, else the
   * first output; for a file whose output is integer actions (ArgMax, TopK k = 1), the Q-values tensor the
   * ArgMax reads; for an actions policy, the actions output itself.
   */
  outputName: string;
  /** The integer actions output (whose ArgMax input is read as the Q-values, unless output is 'actions'), or null. */
  actionsOutput: string | null;
  /** The file's input and output are float16 (run with float32 at its boundary; only with allowFp16). */
  float16: boolean;
  /** The file fixes the batch dimension (torch.onnx.export without dynamic_axes); runtimes get it made symbolic. */
  fixedBatch: boolean;
  /** Initializers also listed as graph inputs (keep_initializers_as_inputs=True); runtimes get them dropped. */
  initializerInputs: boolean;
  /** One line per way the file was adapted for the runtimes (for a log line), empty for our own files. */
  notes: string[];
  /** qdistill.card parsed, or null. */
  card: Record<string, unknown> | null;
  /** All of the file's metadata_props, key → value. */
  metadata: Record<string, string>;
}

type Dim = number | string | null;

const show = (dims: Dim[]) => `[${dims.map((d) => (typeof d === 'number' ? d : d ?? '?')).join(', ')}]`;
const sameDims = (dims: Dim[], expected: number[]) =>
  dims.length === expected.length && dims.every((d, i) => typeof d !== 'number' || d === expected[i]);

/** How to read a policy file from elsewhere: which output, and whether float16 boundaries are accepted. */
export interface DescribeOptions {
  /** The graph output holding Q-values (or logits), for files with several outputs. */
  output?: string;
  /** Accept a float16 input and output, run with float32 observations and Q-values cast at the boundary. */
  allowFp16?: boolean;
  /** Shapes to read the file with when no environment is known (offline distillation; see specFromGraph). */
  spec?: EnvSpec;
}

/** The id of a spec that names no environment: shapes only, taken from a file's graph. */
export const NO_ENV = '';

/**
 * Observation shape and action count from the graph itself, for a file used with no environment at all
 * (offline distillation): one input [batch, ...fixed dims], one output [batch, actions]. UsageError when a
 * dimension other than the batch is not a fixed number.
 */
export function specFromGraph(model: ModelProto, where: string, options: Pick<DescribeOptions, 'output'> = {}): EnvSpec {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  const needEnv = (why: string) => new UsageError(`${why}, so the observation shape is unknown without an environment; pass --env <id>`, where);
  if (inputs.length !== 1) throw new UsageError(`a policy takes one observation tensor, but the model has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')})`, where);
  const inputDims = valueInfoDims(inputs[0]);
  const observationShape = inputDims?.slice(1) ?? [];
  if (!inputDims || observationShape.length === 0 || observationShape.some((d) => typeof d !== 'number' || d < 1)) throw needEnv(`input '${inputs[0].name}' has shape ${inputDims ? show(inputDims) : 'unknown'}`);
  checkBatch(inputs[0], where);
  const { output } = chooseOutput(graph.output ?? [], options.output, where);
  const declared = output ? valueInfoDims(output) : null;
  // Where the file declares no width, the graph's own shapes tell it.
  const inferred = output ? graphShapes(model, where).shapes.get(output.name)?.dims : null;
  const outputDims: Dim[] | null = declared?.length === 2 && typeof declared[1] !== 'number' && typeof inferred?.[1] === 'number' ? [declared[0], inferred[1]] : declared;
  const actions = outputDims?.length === 2 ? outputDims[1] : undefined;
  if (typeof actions !== 'number' || actions < 2) throw needEnv(`output '${output?.name ?? '?'}' has shape ${outputDims ? show(outputDims) : 'unknown'}, not [batch, actions]`);
  return { id: NO_ENV, observationShape: observationShape as number[], observationLayout: 'flat', actionCount: actions, maxEpisodeSteps: Infinity, rewardThreshold: null };
}

/**
 * A fixed batch other than 1 is refused: eval runs a policy one observation at a time and serve in batches of
 * any size, and a file exported at batch 7 can hard-code the 7 where no rewrite reaches (a Reshape(7, -1)).
 */
function checkBatch(input: ValueInfoProto, where: string): void {
  const batch = valueInfoDims(input)?.[0];
  if (typeof batch === 'number' && batch !== 1) {
    throw new UsageError(
      `input '${input.name}' fixes the batch at ${batch}; qdistill runs a policy on one observation at a time and on batches of any size, so its batch must be 1 or symbolic (torch.onnx.export(..., dynamic_axes={'${input.name}': {0: 'batch'}}))`,
      where,
    );
  }
}

/** The graph's inferred shapes (the reader has checked them, so this does not fail on a file it read). */
function graphShapes(model: ModelProto, where: string): GraphShapes {
  try {
    return inferShapes(model);
  } catch (error) {
    if (error instanceof OnnxFormatError && error.where === undefined) throw new OnnxFormatError(error.message, where);
    throw error;
  }
}

/**
 * The output as the graph computes it (what a runtime will return, whatever the file declares): rank 2,
 * [batch, actions] — its first dim the batch (or 1), its width the env's action count — or, for an actions
 * output, one action per observation. One line naming the output otherwise.
 */
function checkInferredOutput(shapes: GraphShapes, name: string, actionsOnly: boolean, spec: EnvSpec, outputs: readonly ValueInfoProto[], where: string): void {
  const dims = shapes.shapes.get(name)?.dims;
  if (!dims) return;
  const others = outputs.length > 1 ? `; --output picks another of its outputs (${outputs.map((v) => v.name).join(', ')})` : '';
  const env = spec.id || 'the policy';
  if (actionsOnly) {
    if (!(dims.length === 1 || (dims.length === 2 && (typeof dims[1] !== 'number' || dims[1] === 1)))) {
      throw new UsageError(`output '${name}' holds actions of shape ${formatShape(dims)} as its graph computes it; an actions output holds one action per observation ([batch] or [batch, 1])`, where);
    }
  } else {
    if (dims.length !== 2) {
      throw new UsageError(`the model's output '${name}' is ${formatShape(dims)} as its graph computes it, but a policy's output is [batch, actions] (${env}: [batch, ${spec.actionCount}])${others}`, where);
    }
    const width = dims[1];
    if (typeof width === 'number' && width !== spec.actionCount) {
      throw new UsageError(`the model's output '${name}' has ${width} value${width === 1 ? '' : 's'} per state but ${env} has ${spec.actionCount} actions${others}`, where);
    }
  }
  const lead = dims[0];
  if (typeof lead === 'number' && lead !== 1) {
    throw new UsageError(`the model's output '${name}' is ${formatShape(dims)} as its graph computes it: its first dimension should be the batch, one row per observation, not ${lead}`, where);
  }
}

/**
 * The checks of a policy file that need no environment (a pass run on a file without --env or metadata):
 * each observation input's batch is 1 or symbolic, and a float output read as Q-values is computed as
 * [batch, n]. UsageError (one line) otherwise; describePolicyFile makes these checks and the env's.
 */
export function checkPolicyGraph(model: ModelProto, where: string, options: Pick<DescribeOptions, 'output'> = {}): void {
  const graph = model.graph!;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  for (const input of graph.input) if (!initializers.has(input.name)) checkBatch(input, where);
  const { output } = chooseOutput(graph.output, options.output, where);
  const type = output?.type?.tensorType?.elemType;
  if (!output || (type !== DataType.FLOAT && type !== DataType.FLOAT16)) return;
  const dims = graphShapes(model, where).shapes.get(output.name)?.dims;
  if (!dims) return;
  if (dims.length !== 2) throw new UsageError(`the model's output '${output.name}' is ${formatShape(dims)} as its graph computes it, but a policy's output is [batch, actions]`, where);
  if (typeof dims[0] === 'number' && dims[0] !== 1) {
    throw new UsageError(`the model's output '${output.name}' is ${formatShape(dims)} as its graph computes it: its first dimension should be the batch, one row per observation, not ${dims[0]}`, where);
  }
}

const FP16_HINT = 'pass --allow-fp16 to run it with float32 casts at its boundary, or export the model with a float32 input (model.float())';

/** The one-line refusal of a float16 input or output read without allowFp16. */
export function float16Refusal(role: 'input' | 'output', name: string, where: string): UsageError {
  return new UsageError(`${role} '${name}' is float16; ${FP16_HINT}`, where);
}

/**
 * The graph output read as the policy's output: the one --output names (UsageError when there is none of that
 * name), else 'q_values' or 'logits' when present, else the first. `note` says which was read when there are several.
 */
export function chooseOutput(outputs: readonly ValueInfoProto[], requested: string | undefined, where: string): { output: ValueInfoProto | undefined; note: string | null } {
  if (requested !== undefined) {
    const output = outputs.find((v) => v.name === requested);
    if (!output) throw new UsageError(`--output '${requested}' is not an output of the model (outputs: ${outputs.map((v) => v.name).join(', ')})`, where);
    return { output, note: null };
  }
  const output = outputs.find((v) => v.name === 'q_values' || v.name === 'logits') ?? outputs[0];
  const note = output && outputs.length > 1 ? `reading output '${output.name}' of ${outputs.length} (${outputs.map((v) => v.name).join(', ')}); --output <name> picks another` : null;
  return { output, note };
}

/** The environment spec and PolicyFileInfo of a decoded policy; UsageError (one line) when it does not fit the env. */
export function describePolicyFile(
  model: ModelProto,
  where: string,
  envOverride?: string,
  options: DescribeOptions = {},
): { spec: EnvSpec; info: PolicyFileInfo } {
  const metadata = metadataOf(model);
  const envId = envOverride ?? metadata[METADATA_KEYS.env];
  if (!envId && !options.spec) throw new UsageError('the model has no qdistill.env metadata; pass --env <id>', where);
  // A file that names an env from elsewhere (gym:) also says how that env was made; unless told otherwise, make it so.
  const recorded = envOverride === undefined && envId ? metadata[METADATA_KEYS.envOptions] : undefined;
  if (recorded) {
    try {
      restoreEnvOptions(envId!, JSON.parse(recorded));
    } catch (error) {
      if (error instanceof SyntaxError) throw new UsageError(`the model's ${METADATA_KEYS.envOptions} is not JSON`, where);
      throw error;
    }
  }
  const spec = envId ? envSpec(checkEnvId(envId)) : options.spec!;
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1) {
    throw new UsageError(`a policy takes one observation tensor, but the model has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')})`, where);
  }
  const input = inputs[0];
  const notes: string[] = [];
  const initializerInputs = inputs.length !== (graph.input ?? []).length;
  const inputType = input.type?.tensorType?.elemType;
  const float16 = inputType === DataType.FLOAT16;
  if (float16 && !options.allowFp16) throw float16Refusal('input', input.name, where);
  if (inputType !== DataType.FLOAT && !float16) {
    throw new UsageError(`input '${input.name}' is ${dataTypeName(inputType)}, but observations are float32; export the model with a float32 input`, where);
  }
  if (float16) notes.push(`input '${input.name}' is float16: observations are cast from float32 at the boundary`);
  const inputDims = valueInfoDims(input);
  checkBatch(input, where);
  const fixedBatch = typeof inputDims?.[0] === 'number';
  if (fixedBatch) notes.push(`input '${input.name}' fixes the batch at ${inputDims![0]}: the runtimes get it as a symbolic batch`);
  let inputLayout: PolicyFileInfo['inputLayout'] = metadata[METADATA_KEYS.layout] === 'nchw' ? 'nchw' : 'native';
  if (inputDims) {
    const perObservation = inputDims.slice(1);
    const [h, w, c] = spec.observationShape;
    const nchw = spec.observationShape.length === 3 ? [c, h, w] : null;
    if (sameDims(perObservation, spec.observationShape) && inputLayout === 'native') inputLayout = 'native';
    else if (nchw && sameDims(perObservation, nchw)) inputLayout = 'nchw';
    else {
      throw new UsageError(
        `input '${input.name}' has shape ${show(inputDims)}, but ${spec.id} observations are [batch, ${spec.observationShape.join(', ')}]` +
          (nchw ? ` (or [batch, ${nchw.join(', ')}] as NCHW)` : ''),
        where,
      );
    }
  }
  const outputs = graph.output ?? [];
  const { output, note } = chooseOutput(outputs, options.output, where);
  if (note) notes.push(note);
  if (!output) throw new UsageError('the model has no output', where);
  let actionsOutput: string | null = null;
  let actionsOnly = false;
  let outputName = output.name;
  let outputDims = valueInfoDims(output);
  const outputType = output.type?.tensorType?.elemType;
  if (outputType !== undefined && isIntegerType(outputType)) {
    const actions = `${dataTypeName(outputType).toLowerCase()} actions`;
    const trace = traceActions(model, output.name, float16 ? DataType.FLOAT16 : DataType.FLOAT);
    actionsOutput = output.name;
    if (trace.qValues !== null) {
      outputName = trace.qValues;
      const info = [...(graph.valueInfo ?? []), ...outputs].find((v) => v.name === trace.qValues);
      outputDims = info ? valueInfoDims(info) : null;
      notes.push(`output '${output.name}' holds ${actions}: reading the Q-values '${trace.qValues}' its ${trace.via} takes`);
    } else {
      actionsOnly = true;
      if (outputDims && !(outputDims.length === 1 || (outputDims.length === 2 && (typeof outputDims[1] !== 'number' || outputDims[1] === 1)))) {
        throw new UsageError(`output '${output.name}' holds ${actions} of shape ${show(outputDims)}; an actions output holds one action per observation ([batch] or [batch, 1])`, where);
      }
      outputDims = null;
      notes.push(`output '${output.name}' holds ${actions} and no float Q-values can be read behind them (${trace.why}): it runs as an actions-only policy, whose Q-values are unavailable`);
    }
  } else if (outputType === DataType.FLOAT16) {
    if (!options.allowFp16) throw float16Refusal('output', output.name, where);
    if (!float16) throw new UsageError(`output '${output.name}' is float16 but input '${input.name}' is not; --allow-fp16 takes files whose input and output are both float16`, where);
  } else if (outputType !== undefined && outputType !== DataType.FLOAT) {
    throw new UsageError(`output '${output.name}' is ${dataTypeName(outputType)}; a policy's output holds float32 Q-values (or logits)`, where);
  } else if (float16) {
    throw new UsageError(`input '${input.name}' is float16 but output '${output.name}' is not; --allow-fp16 takes files whose input and output are both float16`, where);
  }
  if (!actionsOnly && outputDims && !(outputDims.length === 2 && (typeof outputDims[1] !== 'number' || outputDims[1] === spec.actionCount))) {
    const gives = outputDims.length === 2 && typeof outputDims[1] === 'number' ? ` — the model gives ${outputDims[1]} action${outputDims[1] === 1 ? '' : 's'}, ${spec.id} takes ${spec.actionCount}` : '';
    const others = outputs.length > 1 ? `; --output picks another of its outputs (${outputs.map((v) => v.name).join(', ')})` : '';
    throw new UsageError(`output '${outputName}' has shape ${show(outputDims)}, but ${spec.id} has ${spec.actionCount} actions: expected [batch, ${spec.actionCount}]${gives}${others}`, where);
  }
  checkInferredOutput(graphShapes(model, where), actionsOnly ? output.name : outputName, actionsOnly, spec, outputs, where);
  if (initializerInputs) notes.push('initializers are also listed as graph inputs: the runtimes get the one observation input');
  let card: Record<string, unknown> | null = null;
  try {
    card = metadata[METADATA_KEYS.card] ? JSON.parse(metadata[METADATA_KEYS.card]) : null;
  } catch {
    card = null;
  }
  return {
    spec,
    info: {
      env: metadata[METADATA_KEYS.env] ?? null,
      output: actionsOnly ? 'actions' : metadata[METADATA_KEYS.output] === 'logits' || output.name === 'logits' ? 'logits' : 'q_values',
      actionCount: spec.actionCount,
      inputLayout,
      inputName: input.name,
      outputName,
      actionsOutput,
      float16,
      fixedBatch,
      initializerInputs,
      notes,
      card,
      metadata,
    },
  };
}
