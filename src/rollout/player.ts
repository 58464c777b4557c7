// Evaluating a model file as `qdistill eval` does: an ONNX policy through a runtime (in this thread or on
// worker threads), or a tfjs folder written by `train` through tfjs.
import { dirname } from 'node:path';
import { envSpec, checkEnvId } from '../envs/registry.js';
import { openPolicy } from '../infer/open.js';
import { GYM_PREFIX, gymEnvOptions } from '../gym/index.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import { readCard } from '../policy/card.js';
import { activateBackend, quietTfjs } from '../tfjs/backends.js';
import { greedyAction, greedyActions } from '../tfjs/greedy.js';
import { argmaxRows } from '../policy/agreement.js';
import { evaluateLockstep, type BatchActFn } from './lockstep.js';
import { loadLayersModel, resolveModelJson } from '../tfjs/model-io.js';
import { UsageError } from '../util/errors.js';
import { evaluatePolicy, type EvalResult } from './evaluate.js';
import { evaluatePolicyParallel } from './parallel-eval.js';
import { type BackendName } from '../tfjs/backend-names.js';
import { type ActFn } from './episode.js';

export interface EvaluateFileOptions extends RuntimeOptions {
  env?: string;
  episodes: number;
  seed: number;
  /** tfjs backend for tfjs folders (auto = wasm). */
  backend: BackendName;
  /** Runtime for ONNX files (a registry name). */
  runtime: string;
  /** Worker threads (ONNX files only); results do not depend on the count. */
  workers: number;
  /**
   * Envs stepped side by side in this thread, the policy called once per step for all of them (default 1);
   * results do not depend on the count. For a Gymnasium env, one round trip to Python steps them all.
   */
  numEnvs?: number;
  onEpisode?: (done: number) => void;
  /** How the file was read (an ArgMax's Q-values, a fixed batch made symbolic, …), one line each. */
  onLog?: (line: string) => void;
}

/** A greedy player for a model file: ONNX through onnxruntime, or a tfjs folder through tfjs. */
async function openPlayer(modelPath: string, flags: EvaluateFileOptions): Promise<{ envId: string; file: string; act: ActFn; actBatch: BatchActFn; close(): Promise<void> }> {
  if (modelPath.endsWith('.onnx')) {
    const policy = await openPolicy(modelPath, { ...runtimeOptionsOf(flags), env: flags.env, runtime: flags.runtime, onLog: flags.onLog });
    const actBatch: BatchActFn = async (observations, count) => argmaxRows(await policy.qValues(observations, count), count);
    return { envId: policy.spec.id, file: modelPath, act: (obs) => policy.act(obs), actBatch, close: () => policy.dispose() };
  }
  const modelJson = resolveModelJson(modelPath);
  const envId = flags.env ?? readCard(dirname(modelJson))?.env;
  if (!envId) throw new UsageError('the model has no card naming its environment; pass --env', modelPath);
  checkEnvId(envId);
  quietTfjs();
  await activateBackend(flags.backend === 'auto' ? 'wasm' : flags.backend);
  const model = await loadLayersModel(modelJson);
  const spec = envSpec(envId);
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape[1];
  if (input.join(',') !== spec.observationShape.join(',') || output !== spec.actionCount) {
    throw new UsageError(
      `model takes [${input}] and gives ${output} values, but ${envId} has observations [${spec.observationShape}] and ${spec.actionCount} actions`,
      modelPath,
    );
  }
  const actBatch: BatchActFn = (observations, count) => greedyActions(model, observations, count, spec.observationShape);
  return { envId, file: modelJson, act: (obs) => greedyAction(model, obs, spec.observationShape), actBatch, close: async () => {
      model.dispose();
    } };
}

/** Episodes on worker threads: each opens the file itself (ONNX files only). */
async function evalOnWorkers(modelPath: string, flags: EvaluateFileOptions, onEpisode: (done: number) => void): Promise<EvalResult> {
  if (!modelPath.endsWith('.onnx')) throw new UsageError('--workers needs an ONNX policy file (export tfjs folders with `qdistill export onnx`)', modelPath);
  // Open once here first, so a bad file or runtime fails with its usual one-line message.
  const probe = await openPolicy(modelPath, { ...runtimeOptionsOf(flags), env: flags.env, runtime: flags.runtime, onLog: flags.onLog });
  await probe.dispose();
  // Each worker makes a gym: env the way this thread was told to (kwargs, Python, wrappers): its own Python process.
  const gym = probe.spec.id.startsWith(GYM_PREFIX) ? gymEnvOptions(probe.spec.id) : undefined;
  try {
    return await evaluatePolicyParallel({
      episodes: flags.episodes,
      seed: flags.seed,
      workers: flags.workers,
      open: { ...runtimeOptionsOf(flags), file: modelPath, runtime: flags.runtime, env: flags.env, gym },
      onEpisode,
    });
  } catch (error) {
    if ((error as { usage?: boolean }).usage) throw new UsageError((error as Error).message, modelPath);
    throw error;
  }
}


/** The runtime's options out of eval's: threads, graph optimization, which output, float16 files. */
function runtimeOptionsOf(o: EvaluateFileOptions): RuntimeOptions {
  const { threads, graphOptimizationLevel, output, allowFp16 } = o;
  return Object.fromEntries(Object.entries({ threads, graphOptimizationLevel, output, allowFp16 }).filter(([, v]) => v !== undefined && v !== false));
}

/** Greedy episodes of the model at `modelPath` on deriveSeed(seed, i); returns the figures and the file read. */
export async function evaluateFile(modelPath: string, o: EvaluateFileOptions): Promise<{ file: string; result: EvalResult }> {
  const onEpisode = o.onEpisode ?? (() => {});
  if (o.workers > 1) return { file: modelPath, result: await evalOnWorkers(modelPath, o, onEpisode) };
  const player = await openPlayer(modelPath, o);
  try {
    const { episodes, seed } = o;
    const result = (o.numEnvs ?? 1) > 1
      ? await evaluateLockstep(player.envId, player.actBatch, { episodes, seed, numEnvs: o.numEnvs, onEpisode })
      : await evaluatePolicy(player.envId, player.act, { episodes, seed, onEpisode });
    return { file: player.file, result };
  } finally {
    await player.close();
  }
}
