import { dirname } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { envSpec } from '../envs/registry.js';
import { openPolicy } from '../infer/open.js';
import { readCard } from '../rl/card.js';
import { DEFAULT_EVAL_SEED, evaluatePolicy, type ActFn } from '../rl/evaluate.js';
import { activateBackend, BACKEND_NAMES, quietTfjs, type BackendName } from '../tfjs/backends.js';
import { greedyAction } from '../tfjs/greedy.js';
import { loadLayersModel, resolveModelJson } from '../tfjs/model-io.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId } from './common.js';
import { integer, oneOf } from './options.js';
import { formatTable, printJson, startProgress } from './output.js';


export interface EvalFlags {
  env?: string;
  episodes: number;
  seed: number;
  backend: BackendName;
  json?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('play greedy episodes with a model and report the return (mean ± std)')
    .argument('<model>', 'an ONNX policy file, or a tfjs model folder / model.json written by `qdistill train`')
    .option('--env <id>', 'environment id (default: the one in the model\'s metadata or card)')
    .option('--episodes <n>', 'episodes to play', integer(1), 100)
    .option('--seed <n>', 'seed of the evaluation episodes', integer(0, 2 ** 32 - 1), DEFAULT_EVAL_SEED)
    .addOption(new Option('--backend <name>', 'tfjs backend for tfjs models (auto = wasm)').argParser(oneOf(BACKEND_NAMES)).default('auto'))
    .option('--json', 'print per-episode returns as JSON')
    .addHelpText('after', '\nExample:\n  qdistill eval models/cartpole-v1/teacher.onnx --episodes 100\n  qdistill eval models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --json')
    .action(async (modelPath: string, flags: EvalFlags) => runEval(modelPath, flags));
}

/** A greedy player for a model file: ONNX through onnxruntime, or a tfjs folder through tfjs. */
async function openPlayer(modelPath: string, flags: EvalFlags): Promise<{ envId: string; file: string; act: ActFn; close(): Promise<void> }> {
  if (modelPath.endsWith('.onnx')) {
    const policy = await openPolicy(modelPath, { env: flags.env });
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

export async function runEval(modelPath: string, flags: EvalFlags): Promise<void> {
  if (flags.env) checkEnvId(flags.env);
  const player = await openPlayer(modelPath, flags);
  const progress = startProgress('eval', flags.episodes);
  const result = await evaluatePolicy(player.envId, player.act, {
    episodes: flags.episodes,
    seed: flags.seed,
    onEpisode: (done) => progress.update(done),
  });
  progress.stop();
  await player.close();
  if (flags.json) {
    printJson({ model: player.file, ...result });
    return;
  }
  process.stdout.write(
    formatTable(['model', 'env', 'episodes', 'return (mean ± std)', 'min', 'max'], [
      [player.file, player.envId, result.episodes, `${result.mean.toFixed(2)} ± ${result.std.toFixed(2)}`, Math.min(...result.returns).toFixed(1), Math.max(...result.returns).toFixed(1)],
    ]) + '\n',
  );
}
