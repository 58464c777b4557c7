import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { BACKEND_NAMES, quietTfjs, type BackendName } from '../tfjs/backends.js';
import { chooseBackend } from '../tfjs/choose-backend.js';
import { copyToCpu, saveLayersModel } from '../tfjs/model-io.js';
import { buildQNetwork, describeNetwork } from '../tfjs/networks.js';
import { TEACHER_ONNX, writeTeacherOnnx } from '../policy/teacher-onnx.js';
import { greedyAction } from '../tfjs/greedy.js';
import { writeCard } from '../policy/card.js';
import { CHECKPOINT_FILE, networkConfig, trainDqn } from '../rl/dqn.js';
import { evaluatePolicy } from '../rollout/evaluate.js';
import { applyOverrides, presetFor, type DqnConfig } from '../rl/presets.js';
import { makeTrainingProbe } from '../rl/probe.js';
import { envSpec } from '../envs/registry.js';
import { provenance } from '../policy/card.js';
import { UsageError } from '../util/errors.js';
import { machineDescription } from '../util/machine.js';
import { TOOL_VERSION } from '../util/version.js';
import { checkEnvId, commandLine, readJsonFile } from './common.js';
import { DEFAULT_EVAL_SEED } from '../rollout/evaluate.js';
import { integer, integerList, number, oneOf } from './options.js';
import { formatTable, printJson, startProgress } from './output.js';

export interface TrainFlags {
  out: string;
  seed: number;
  steps?: number;
  backend: BackendName;
  config?: string;
  resume?: boolean;
  json?: boolean;
  [hyperparameter: string]: unknown;
}

// Flags that override one hyperparameter each: [flag, config key, parser, description].
const hyperparameterFlags: [string, keyof DqnConfig, (v: string) => unknown, string][] = [
  ['--learning-rate <lr>', 'learningRate', number(0), 'Adam learning rate'],
  ['--buffer-size <n>', 'bufferSize', integer(1), 'replay buffer capacity'],
  ['--learning-starts <n>', 'learningStarts', integer(0), 'environment steps before learning starts'],
  ['--batch-size <n>', 'batchSize', integer(1), 'transitions per gradient step'],
  ['--tau <t>', 'tau', number(0, 1), 'target network Polyak coefficient (1 = hard copy)'],
  ['--gamma <g>', 'gamma', number(0, 1), 'discount factor'],
  ['--train-freq <n>', 'trainFreq', integer(1), 'environment steps between training rounds'],
  ['--gradient-steps <n>', 'gradientSteps', integer(-1), 'gradient steps per round (-1 = train-freq)'],
  ['--target-update-interval <n>', 'targetUpdateInterval', integer(1), 'environment steps between target updates'],
  ['--exploration-fraction <f>', 'explorationFraction', number(0, 1), 'fraction of training over which ε decays'],
  ['--exploration-initial-eps <e>', 'explorationInitialEps', number(0, 1), 'initial ε'],
  ['--exploration-final-eps <e>', 'explorationFinalEps', number(0, 1), 'final ε'],
  ['--max-grad-norm <n>', 'maxGradNorm', number(0), 'clip the gradients\' global norm to this'],
  ['--net-arch <sizes>', 'netArch', integerList, 'hidden layer sizes, e.g. 256,256'],
  ['--conv-filters <n>', 'convFilters', integer(0), 'filters of the MinAtar conv layer (0 = MLP)'],
  ['--eval-episodes <n>', 'evalEpisodes', integer(1), 'greedy evaluation episodes at the end'],
  ['--checkpoint-interval <n>', 'checkpointInterval', integer(1), 'environment steps between checkpoints'],
];

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train a DQN teacher on an environment with TensorFlow.js')
    .argument('<env>', 'environment id (see `qdistill envs`)')
    .requiredOption('--out <dir>', 'output folder: model.json, weights, card.json, checkpoint')
    .option('--seed <n>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--steps <n>', 'total environment steps (default: the preset\'s)', integer(1))
    .addOption(new Option('--backend <name>', 'tfjs backend').argParser(oneOf(BACKEND_NAMES)).default('auto'))
    .option('--config <file>', 'JSON file of hyperparameters (SB3 snake_case or camelCase names)')
    .option('--double-q', 'Double DQN targets')
    .option('--dueling', 'dueling head (V + A − mean A)')
    .option('--resume', 'continue from the checkpoint in --out')
    .option('--json', 'print the result as JSON');
  for (const [flags, , parser, description] of hyperparameterFlags) command.option(flags, description, parser);
  command
    .addHelpText('after', '\nExample:\n  qdistill train CartPole-v1 --out runs/cartpole --seed 1\n  qdistill train LunarLander-v3 --out runs/lunar --steps 200000 --backend wasm --double-q')
    .action(async (envArg: string, flags: TrainFlags) => runTrain(checkEnvId(envArg), flags));
}

function resolveConfig(envId: string, flags: TrainFlags): DqnConfig {
  let config = presetFor(envId);
  if (flags.config) config = applyOverrides(config, readJsonFile(flags.config), flags.config);
  const overrides: Record<string, unknown> = {};
  for (const [, key] of hyperparameterFlags) if (flags[key] !== undefined) overrides[key] = flags[key];
  if (flags.steps !== undefined) overrides.totalTimesteps = flags.steps;
  if (flags.doubleQ) overrides.doubleQ = true;
  if (flags.dueling) overrides.dueling = true;
  return applyOverrides(config, overrides, 'command line');
}

export async function runTrain(envId: string, flags: TrainFlags): Promise<void> {
  const config = resolveConfig(envId, flags);
  if (flags.resume && !existsSync(join(flags.out, CHECKPOINT_FILE))) {
    throw new UsageError('nothing to resume: no checkpoint in this folder', flags.out);
  }
  quietTfjs();
  const choice = await chooseBackend(flags.backend, makeTrainingProbe(envId, config, flags.seed));
  const log = (line: string) => flags.json || process.stderr.write(line + '\n');
  log(`backend: ${choice.backend} (${choice.reason})`);
  log(`training ${envId}: ${describeNetwork(networkConfig(config))} network, ${config.totalTimesteps} steps, seed ${flags.seed}`);

  const progress = startProgress('train', config.totalTimesteps, 'ep {episodes} return100 {return100} {sps} steps/s');
  const result = await trainDqn({
    envId,
    config,
    seed: flags.seed,
    outDir: flags.out,
    resume: Boolean(flags.resume),
    onProgress: (p) =>
      progress.update(p.step, {
        episodes: p.episodes,
        return100: p.meanReturn100 === null ? '-' : p.meanReturn100.toFixed(1),
        sps: Math.round(p.stepsPerSecond),
        epsilon: Number(p.epsilon.toFixed(3)),
        loss: p.loss === null ? '-' : Number(p.loss.toPrecision(4)),
      }),
  });
  progress.stop();

  const spec = envSpec(envId);
  // The exporter and the model writer read weights synchronously, which the webgpu backend cannot do in
  // Node: a network trained there is copied to the cpu backend first.
  const qNetwork = choice.backend === 'webgpu' ? await copyToCpu(result.qNetwork, () => buildQNetwork(spec, networkConfig(config), flags.seed)) : result.qNetwork;
  const evalProgress = startProgress('eval', config.evalEpisodes);
  const evaluation = await evaluatePolicy(envId, (obs) => greedyAction(qNetwork, obs, spec.observationShape), {
    episodes: config.evalEpisodes,
    seed: DEFAULT_EVAL_SEED,
    onEpisode: (done) => evalProgress.update(done),
  });
  evalProgress.stop();

  await saveLayersModel(qNetwork, flags.out);
  const card = {
    kind: 'teacher' as const,
    algorithm: 'DQN' as const,
    env: envId,
    seed: flags.seed,
    config,
    network: describeNetwork(networkConfig(config)),
    parameters: result.qNetwork.countParams(),
    steps: result.steps,
    episodes: result.episodes,
    evalReward: { mean: evaluation.mean, std: evaluation.std, episodes: evaluation.episodes, seed: evaluation.seed },
    trainReturn100: result.recentReturns.length ? result.recentReturns.reduce((a, b) => a + b, 0) / result.recentReturns.length : null,
    wallTimeSeconds: Number(result.wallSeconds.toFixed(1)),
    stepsPerSecond: Number(result.stepsPerSecond.toFixed(1)),
    backend: choice.backend,
    backendReason: choice.reason,
    resumedFromStep: result.resumedFromStep,
    ...provenance(),
  };
  writeTeacherOnnx(qNetwork, envId, card, join(flags.out, TEACHER_ONNX));
  writeCard(flags.out, card);
  if (flags.json) {
    printJson({ out: flags.out, ...card, evalReturns: evaluation.returns });
    return;
  }
  process.stdout.write(
    formatTable(
      ['env', 'steps', 'episodes', 'wall time', 'steps/s', 'backend', 'eval return (mean ± std)'],
      [[envId, result.steps, result.episodes, `${card.wallTimeSeconds} s`, card.stepsPerSecond, choice.backend, `${evaluation.mean.toFixed(1)} ± ${evaluation.std.toFixed(1)} (${evaluation.episodes} ep)`]],
    ) + `\nsaved ${flags.out}/${TEACHER_ONNX}, model.json (tfjs) and card.json\n`,
  );
}
