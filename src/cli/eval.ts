// `qdistill eval`: greedy episodes of a model file, the return's mean ± std (per episode with --json).
import { type Command, Option } from 'commander';
import { DEFAULT_EVAL_SEED } from '../rollout/seeds.js';
import type { EvaluateFileOptions } from '../rollout/player.js';
import { BACKEND_NAMES } from '../tfjs/backend-names.js';
import { integer, oneOf } from './options.js';
import { formatTable, printJson, startProgress } from './output.js';
import { addRuntimeTuningOptions, resolveRuntime, runtimeOption, runtimeOptionsFrom, type RuntimeTuningFlags } from './runtime-option.js';
import { checkEnvId } from '../envs/registry.js';
import { UsageError } from '../util/errors.js';

/** The flags of `eval`: what the file player takes, plus --json. */
export interface EvalFlags extends RuntimeTuningFlags, Pick<EvaluateFileOptions, 'env' | 'episodes' | 'seed' | 'backend' | 'runtime' | 'workers' | 'numEnvs'> {
  json?: boolean;
}

export function registerEval(program: Command): void {
  addRuntimeTuningOptions(program.command('eval'))
    .description('play greedy episodes with a model and report the return (mean ± std)')
    .argument('<model>', 'an ONNX policy file, or a tfjs model folder / model.json written by `qdistill train`')
    .option('--env <id>', 'environment id (default: the one in the model\'s metadata or card)')
    .option('--episodes <n>', 'episodes to play', integer(1, 1_000_000), 100)
    .option('--seed <n>', 'seed of the evaluation episodes', integer(0, 2 ** 32 - 1), DEFAULT_EVAL_SEED)
    .addOption(runtimeOption())
    .option('--workers <n>', 'play episodes in parallel on worker threads (results do not depend on n)', integer(1, 256), 1)
    .option('--num-envs <n>', 'envs stepped side by side, one batched policy call per step (results do not depend on n; for a gym: env one round trip to Python steps them all)', integer(1, 4096), 1)
    .addOption(new Option('--backend <name>', 'tfjs backend for tfjs models (auto = wasm)').argParser(oneOf(BACKEND_NAMES)).default('auto'))
    .option('--json', 'print per-episode returns as JSON')
    .addHelpText('after', '\nExample:\n  qdistill eval models/cartpole-v1/teacher.onnx --episodes 100 --workers 2\n  qdistill eval models/cartpole-v1-student-16x16/student.onnx --runtime auto\n  qdistill eval models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --json')
    .action(async (modelPath: string, flags: EvalFlags) => runEval(modelPath, flags));
}

export async function runEval(modelPath: string, flags: EvalFlags): Promise<void> {
  if (flags.env) checkEnvId(flags.env);
  if (flags.workers > 1 && (flags.numEnvs ?? 1) > 1) throw new UsageError('--workers and --num-envs do not combine: pick one (--num-envs for a gym: env, whose steps run in Python)');
  if (modelPath.endsWith('.onnx')) flags = { ...flags, runtime: await resolveRuntime(flags.runtime, modelPath, flags.env, flags.json, flags) };
  const { evaluateFile } = await import('../rollout/player.js');
  const progress = startProgress('eval', flags.episodes);
  const { file, result } = await evaluateFile(modelPath, { ...flags, ...runtimeOptionsFrom(flags), onEpisode: (done) => progress.update(done), onLog: (line) => process.stderr.write(`${line}\n`) });
  progress.stop();
  if (flags.json) {
    printJson({ model: file, runtime: modelPath.endsWith('.onnx') ? flags.runtime : 'tfjs', workers: flags.workers, numEnvs: flags.numEnvs, ...result });
    return;
  }
  process.stdout.write(
    formatTable(['model', 'env', 'episodes', 'return (mean ± std)', 'min', 'max'], [
      [file, result.env, result.episodes, `${result.mean.toFixed(2)} ± ${result.std.toFixed(2)}`, Math.min(...result.returns).toFixed(1), Math.max(...result.returns).toFixed(1)],
    ]) + '\n',
  );
}
