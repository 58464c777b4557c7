import { dirname } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { envSpec } from '../envs/registry.js';
import { openPolicy } from '../infer/open.js';
import { readCard } from '../policy/card.js';
import { DEFAULT_EVAL_SEED, evaluatePolicy, type ActFn, type EvalResult } from '../rollout/evaluate.js';
import { evaluatePolicyParallel } from '../rollout/parallel-eval.js';
import { activateBackend, BACKEND_NAMES, quietTfjs, type BackendName } from '../tfjs/backends.js';
import { greedyAction } from '../tfjs/greedy.js';
import { loadLayersModel, resolveModelJson } from '../tfjs/model-io.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId } from './common.js';
import { integer, oneOf } from './options.js';
import { formatTable, printJson, startProgress } from './output.js';
import { addRuntimeTuningOptions, resolveRuntime, runtimeOption, runtimeOptionsFrom, type RuntimeTuningFlags } from './runtime-option.js';

export interface EvalFlags extends RuntimeTuningFlags {
  env?: string;
  episodes: number;
  seed: number;
  backend: BackendName;
  runtime: string;
  workers: number;
  json?: boolean;
}

export function registerEval(program: Command): void {
  addRuntimeTuningOptions(program.command('eval'))
    .description('play greedy episodes with a model and report the return (mean ± std)')
    .argument('<model>', 'an ONNX policy file, or a tfjs model folder / model.json written by `qdistill train`')
    .option('--env <id>', 'environment id (default: the one in the model\'s metadata or card)')
    .option('--episodes <n>', 'episodes to play', integer(1), 100)
    .option('--seed <n>', 'seed of the evaluation episodes', integer(0, 2 ** 32 - 1), DEFAULT_EVAL_SEED)
    .addOption(runtimeOption())
    .option('--workers <n>', 'play episodes in parallel on worker threads (results do not depend on n)', integer(1, 256), 1)
    .addOption(new Option('--backend <name>', 'tfjs backend for tfjs models (auto = wasm)').argParser(oneOf(BACKEND_NAMES)).default('auto'))
    .option('--json', 'print per-episode returns as JSON')
    .addHelpText('after', '\nExample:\n  qdistill eval models/cartpole-v1/teacher.onnx --episodes 100 --workers 2\n  qdistill eval models/cartpole-v1-student-16x16/student.onnx --runtime auto\n  qdistill eval models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --json')
    .action(async (modelPath: string, flags: EvalFlags) => runEval(modelPath, flags));
}

/** A greedy player for a model file: ONNX through onnxruntime, or a tfjs folder through tfjs. */
async function openPlayer(modelPath: string, flags: EvalFlags): Promise<{ envId: string; file: string; act: ActFn; close(): Promise<void> }> {
  if (modelPath.endsWith('.onnx')) {
    const policy = await openPolicy(modelPath, { ...runtimeOptionsFrom(flags), env: flags.env, runtime: flags.runtime });
    return { envId: policy.spec.id, file: modelPath, act: (obs) => policy.act(obs), close: () => policy.dispose() };
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
  return { envId, file: modelJson, act: (obs) => greedyAction(model, obs, spec.observationShape), close: async () => {
      model.dispose();
    } };
}

/** Episodes on worker threads: each opens the file itself (ONNX files only). */
async function evalOnWorkers(modelPath: string, flags: EvalFlags, onEpisode: (done: number) => void): Promise<EvalResult> {
  if (!modelPath.endsWith('.onnx')) throw new UsageError('--workers needs an ONNX policy file (export tfjs folders with `qdistill export onnx`)', modelPath);
  // Open once here first, so a bad file or runtime fails with its usual one-line message.
  const probe = await openPolicy(modelPath, { ...runtimeOptionsFrom(flags), env: flags.env, runtime: flags.runtime });
  await probe.dispose();
  try {
    return await evaluatePolicyParallel({
      episodes: flags.episodes,
      seed: flags.seed,
      workers: flags.workers,
      open: { ...runtimeOptionsFrom(flags), file: modelPath, runtime: flags.runtime, env: flags.env },
      onEpisode,
    });
  } catch (error) {
    if ((error as { usage?: boolean }).usage) throw new UsageError((error as Error).message, modelPath);
    throw error;
  }
}

export async function runEval(modelPath: string, flags: EvalFlags): Promise<void> {
  if (flags.env) checkEnvId(flags.env);
  if (modelPath.endsWith('.onnx')) flags = { ...flags, runtime: await resolveRuntime(flags.runtime, modelPath, flags.env, flags.json) };
  const progress = startProgress('eval', flags.episodes);
  let file = modelPath;
  let result: EvalResult;
  if (flags.workers > 1) {
    result = await evalOnWorkers(modelPath, flags, (done) => progress.update(done));
  } else {
    const player = await openPlayer(modelPath, flags);
    file = player.file;
    result = await evaluatePolicy(player.envId, player.act, { episodes: flags.episodes, seed: flags.seed, onEpisode: (done) => progress.update(done) });
    await player.close();
  }
  progress.stop();
  if (flags.json) {
    printJson({ model: file, runtime: modelPath.endsWith('.onnx') ? flags.runtime : 'tfjs', workers: flags.workers, ...result });
    return;
  }
  process.stdout.write(
    formatTable(['model', 'env', 'episodes', 'return (mean ± std)', 'min', 'max'], [
      [file, result.env, result.episodes, `${result.mean.toFixed(2)} ± ${result.std.toFixed(2)}`, Math.min(...result.returns).toFixed(1), Math.max(...result.returns).toFixed(1)],
    ]) + '\n',
  );
}
