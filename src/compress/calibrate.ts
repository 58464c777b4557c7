// Calibration for static quantization: the float model runs in onnxruntime-node on representative states
// with every tensor the pass will quantize added as an extra graph output, and each tensor's observed values
// become a range (calibration-methods.ts). The states come from the model playing its environment
// (ε-greedy, so they vary) or from a saved distillation dataset.
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readDataset } from '../policy/dataset.js';
import { envIds } from '../envs/registry.js';
import { observationSize, type EnvSpec } from '../envs/types.js';
import { openPolicyModel } from '../infer/open.js';
import { fileObservationShape, toFileLayout } from '../infer/session-policy.js';
import { metadataOf, tensorValueInfo } from '../onnx/graph.js';
import { encodeModel, type ModelProto, type NodeProto } from '../onnx/model.js';
import type { LoadedModel } from '../onnx/read-bytes.js';
import { DataType } from '../onnx/tensor.js';
import { UsageError } from '../util/errors.js';
import type { OnProgress } from '../util/progress.js';
import { rangeOf, type CalibrationSettings, type ValueRange } from './calibration-methods.js';
import { DEFAULT_CALIBRATION_STATES } from './calibration-defaults.js';
import { METADATA_KEYS } from '../policy/metadata.js';
import { describePolicyFile, type PolicyFileInfo } from '../policy/file.js';
import { runtimePolicyModel } from '../policy/normalize.js';
import { visitedStates } from '../rollout/visited-states.js';

/** Differs from the seed compare.ts evaluates on, so calibration and the agreement check see different states. */
export const CALIBRATION_SEED = 4242;
const BATCH = 256;

/** What a pass needs observed: existing float tensors, plus nodes computing values the float graph lacks. */
export interface CalibrationProbes {
  tensors: string[];
  extraNodes: NodeProto[];
}

/** Where calibration states come from, and how many. */
export interface StateRequest {
  /** A .qdb dataset path or an env id; the model's own env when absent. */
  source?: string;
  /** How many states (default DEFAULT_CALIBRATION_STATES). */
  states?: number;
  /** For files without qdistill.env metadata. */
  env?: string;
  /** The graph output holding the Q-values, for files with several outputs. */
  output?: string;
}

/** Where calibration states come from, and how observed values become ranges. */
export interface CalibrationRequest extends StateRequest {
  /** The range method (minmax, percentile, entropy) and its parameter. */
  settings: CalibrationSettings;
  /** One event per calibration batch (task 'calibrating'). */
  onProgress?: OnProgress;
}

interface Calibration {
  source: string;
  states: number;
  settings: CalibrationSettings;
  ranges: Record<string, ValueRange>;
}

/** Representative states of a policy: its env, how its file takes them, and `states` observations in the env's layout. */
export interface CalibrationStates {
  /** The dataset path or env id they came from. */
  source: string;
  /** The environment the states belong to. */
  spec: EnvSpec;
  /** How the model's file takes them (input name, layout, output read). */
  info: PolicyFileInfo;
  /** states × observation size, in the env's own layout. */
  observations: Float32Array;
  /** How many states. */
  states: number;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function isDatasetSource(source: string): boolean {
  return !envIds().includes(source) && (source.endsWith('.qdb') || existsSync(source));
}

/** Up to `count` observations spread evenly over a dataset whose observation shape must be the model's. */
function datasetStates(path: string, model: ModelProto, where: string, count: number, env: string | undefined, hasEnv: boolean, output: string | undefined) {
  if (!existsSync(path)) throw new UsageError('calibration dataset not found', path);
  const dataset = readDataset(path);
  const shape = dataset.header.observationShape;
  const { spec, info } = describePolicyFile(model, where, env ?? (hasEnv ? undefined : dataset.header.env), { output });
  if (!sameShape(shape, spec.observationShape)) {
    throw new UsageError(`the dataset's observations have shape [${shape.join(', ')}] but the model takes [${spec.observationShape.join(', ')}] (${spec.id})`, path);
  }
  const size = observationSize(spec);
  const states = Math.min(count, dataset.header.count);
  const observations = new Float32Array(states * size);
  for (let s = 0; s < states; s++) {
    const from = Math.floor((s * dataset.header.count) / states) * size;
    observations.set(dataset.observations.subarray(from, from + size), s * size);
  }
  return { spec, info, observations, states };
}

async function envStates({ bytes, model, where }: LoadedModel, env: string | undefined, count: number, output: string | undefined) {
  const policy = await openPolicyModel(bytes, model, where, { env, output });
  try {
    const { observations } = await visitedStates(policy, count, CALIBRATION_SEED);
    return { spec: policy.spec, info: policy.info, observations, states: count };
  } finally {
    await policy.dispose();
  }
}

/** The model's bytes with every probed tensor as an output too (the model itself is left as it is). */
function withProbeOutputs(model: ModelProto, probes: CalibrationProbes): Uint8Array {
  const graph = model.graph!;
  const outputs = [...graph.output, ...probes.tensors.filter((name) => !graph.output.some((o) => o.name === name)).map((name) => tensorValueInfo(name, DataType.FLOAT))];
  return encodeModel({ ...model, graph: { ...graph, node: [...graph.node, ...probes.extraNodes], output: outputs } } as ModelProto);
}

/**
 * `request.states` states for calibrating (or searching) a model read once: from a dataset, or visited by the
 * model playing its env (ε-greedy, CALIBRATION_SEED) — the env given, the source named, or its own.
 */
export async function calibrationStates(loaded: LoadedModel, request: StateRequest): Promise<CalibrationStates> {
  const { model, where } = loaded;
  const count = request.states ?? DEFAULT_CALIBRATION_STATES;
  const ownEnv = metadataOf(model)[METADATA_KEYS.env];
  const source = request.source ?? request.env ?? ownEnv;
  if (!source) throw new UsageError('the model has no qdistill.env metadata; pass --env <id> or --calibrate <dataset.qdb | env id>', where);
  const found = isDatasetSource(source)
    ? datasetStates(source, model, where, count, request.env, ownEnv !== undefined, request.output)
    : await envStates(loaded, source, count, request.output);
  return { source, ...found };
}

/** Activation ranges of the probed tensors on states from a dataset or from the env, for a model read once. */
export async function calibrate(loaded: LoadedModel, probes: CalibrationProbes, request: CalibrationRequest): Promise<Calibration> {
  return rangesOn(loaded, probes, await calibrationStates(loaded, request), request);
}

/** Activation ranges of the probed tensors of `loaded` on states already collected. */
export async function rangesOn(loaded: LoadedModel, probes: CalibrationProbes, found: CalibrationStates, request: Pick<CalibrationRequest, 'settings' | 'onProgress'>): Promise<Calibration> {
  const { model } = loaded;
  const { source, spec, info, observations, states } = found;
  const ranges: Record<string, ValueRange> = {};
  if (probes.tensors.length === 0) return { source, states, settings: request.settings, ranges };

  // Files exported with a fixed batch, an ArgMax output or initializers as inputs run as the runtimes run them.
  const session = await ort.InferenceSession.create(withProbeOutputs(runtimePolicyModel(model, info) ?? model, probes), { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const observed = new Map<string, Float32Array[]>(probes.tensors.map((t) => [t, []]));
  const size = observationSize(spec);
  const fileShape = fileObservationShape(spec, info);
  try {
    for (let start = 0; start < states; start += BATCH) {
      const batch = Math.min(BATCH, states - start);
      const slice = observations.subarray(start * size, (start + batch) * size);
      const data = toFileLayout(spec, info, slice, batch);
      const result = await session.run({ [info.inputName]: new ort.Tensor('float32', data, [batch, ...fileShape]) }, probes.tensors);
      for (const name of probes.tensors) observed.get(name)!.push(Float32Array.from(result[name].data as Float32Array));
      request.onProgress?.({ task: 'calibrating', done: start + batch, total: states });
    }
  } finally {
    await session.release();
  }
  for (const [name, chunks] of observed) {
    const all = new Float32Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    ranges[name] = rangeOf(all, request.settings);
  }
  return { source, states, settings: request.settings, ranges };
}
