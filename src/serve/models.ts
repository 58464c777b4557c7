// The models a server answers for: each policy opened in the chosen runtime, with its batcher and the
// description GET /v1/models returns.
import { basename } from 'node:path';
import { observationSize } from '../envs/types.js';
import { openPolicyModel, readPolicyBytes } from '../infer/open.js';
import type { Policy } from '../infer/policy.js';
import { inspectModel } from '../onnx/inspect.js';
import { decodeModel } from '../onnx/model.js';
import { createBatcher, directBatcher, type Batcher } from './batcher.js';
import type { ModelMetrics, ServeMetrics } from './metrics.js';
import { modelTensors, type ModelTensors } from './open-inference.js';
import type { NamedModel } from './names.js';
import type { FileReading } from './web-pages.js';
import { METADATA_KEYS } from '../policy/metadata.js';

/** How requests for one model are grouped into inference calls. */
export interface BatchingOptions {
  /** false: every request is its own inference call. */
  enabled: boolean;
  /** Longest wait for more requests after the first one of a batch arrives, in microseconds. */
  batchWindowUs: number;
  /** A batch runs as soon as it holds this many observations. */
  maxBatch: number;
}

/** A model the server answers for: the opened policy with its batcher and its figures. */
export interface ServedModel {
  /** The name in its URLs and metric labels. */
  name: string;
  /** The model file. */
  file: string;
  /** The runtime it runs on. */
  runtime: string;
  /** The opened policy. */
  policy: Policy;
  /** Groups its requests into inference calls. */
  batcher: Batcher;
  /** Numbers in one observation. */
  observationSize: number;
  /** Parameters of the model (as inspect counts them). */
  parameters: number;
  /** Multiply-accumulates of one inference at batch 1, or null when unknown. */
  macs: number | null;
  /** File size in bytes. */
  bytes: number;
  /** Its input and outputs as the Open Inference Protocol (v2) names them. */
  tensors: ModelTensors;
  /** Its series in /metrics. */
  metrics: ModelMetrics;
}

/** Options of loadServedModels(). */
export interface LoadModelsOptions {
  runtime?: string;
  env?: string;
  /** How each file is read (--output, --allow-fp16). */
  read?: FileReading;
  batching: BatchingOptions;
  metrics: ServeMetrics;
}

/** Opens every model (all or none: on a failure the ones opened are disposed). */
export async function loadServedModels(named: ModelToServe[], options: LoadModelsOptions): Promise<ServedModel[]> {
  const loaded: ServedModel[] = [];
  try {
    for (const entry of named) loaded.push(await loadServedModel(entry, options));
  } catch (error) {
    await disposeServedModels(loaded);
    throw error;
  }
  return loaded;
}

/** A model to serve; `runtime` overrides the one in the options (e.g. auto's pick for this file). */
export type ModelToServe = NamedModel & { runtime?: string };

async function loadServedModel({ name, file, runtime: ownRuntime }: ModelToServe, options: LoadModelsOptions): Promise<ServedModel> {
  const bytes = readPolicyBytes(file);
  const model = decodeModel(bytes, file);
  const summary = inspectModel(model);
  const runtime = ownRuntime ?? options.runtime ?? 'ort-cpu';
  const policy = await openPolicyModel(bytes, model, file, { runtime, env: options.env, ...options.read });
  const size = observationSize(policy.spec);
  const metrics = options.metrics.forModel(name);
  const onBatch = (count: number) => metrics.inferred(count);
  const infer = (observations: Float32Array, count: number) => policy.qValues(observations, count);
  const batcher = options.batching.enabled
    ? createBatcher(infer, {
        observationSize: size,
        outputSize: policy.spec.actionCount,
        batchWindowUs: options.batching.batchWindowUs,
        maxBatch: options.batching.maxBatch,
        onBatch,
      })
    : directBatcher(infer, onBatch);
  return {
    name,
    file,
    runtime,
    policy,
    batcher,
    observationSize: size,
    parameters: summary.parameters,
    macs: summary.macs,
    bytes: bytes.byteLength,
    tensors: modelTensors(policy.spec, policy.info),
    metrics,
  };
}

/** Flushes each model's batcher, waits for the inference calls under way, and disposes its policy. */
export async function disposeServedModels(models: ServedModel[]): Promise<void> {
  for (const model of models) {
    model.batcher.flush();
    await model.batcher.settled();
    await model.policy.dispose();
  }
}

/** What describeServedModel() leaves out. */
export interface DescribeOptions {
  /** Leave out the model card (it records the command line and the machine the model was made with). */
  hideCard?: boolean;
}

/** What GET /v1/models says about one model; `card` is absent under `hideCard`. */
export function describeServedModel(model: ServedModel, options: DescribeOptions = {}): Record<string, unknown> {
  const { spec, info } = model.policy;
  const { [METADATA_KEYS.card]: _card, ...metadata } = info.metadata;
  const description: Record<string, unknown> = {
    name: model.name,
    file: basename(model.file),
    runtime: model.runtime,
    env: spec,
    observationSize: model.observationSize,
    output: info.output,
    input: { name: info.inputName, layout: info.inputLayout },
    parameters: model.parameters,
    macs: model.macs,
    bytes: model.bytes,
    metadata,
    card: info.card,
    actUrl: `/v1/models/${model.name}:act`,
  };
  if (options.hideCard) delete description.card;
  return description;
}
