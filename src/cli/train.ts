// `qdistill train`: flags → the train stage → a table or JSON.
import { type Command, Option } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../tfjs/backend-names.js';
import type { DqnConfig } from '../rl/presets.js';
import { integer, integerList, number, oneOf } from './options.js';
import { formatTable, printJson, progressBars } from './output.js';
import { checkEnvId } from '../envs/registry.js';

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
  ['--buffer-size <n>', 'bufferSize', integer(1, 100_000_000), 'replay buffer capacity'],
  ['--learning-starts <n>', 'learningStarts', integer(0, 10_000_000_000), 'environment steps before learning starts'],
  ['--batch-size <n>', 'batchSize', integer(1, 65_536), 'transitions per gradient step'],
  ['--tau <t>', 'tau', number(0, 1), 'target network Polyak coefficient (1 = hard copy)'],
  ['--gamma <g>', 'gamma', number(0, 1), 'discount factor'],
  ['--train-freq <n>', 'trainFreq', integer(1, 1_000_000), 'environment steps between training rounds'],
  ['--gradient-steps <n>', 'gradientSteps', integer(-1, 100_000), 'gradient steps per round (-1 = train-freq)'],
  ['--target-update-interval <n>', 'targetUpdateInterval', integer(1, 10_000_000_000), 'environment steps between target updates'],
  ['--exploration-fraction <f>', 'explorationFraction', number(0, 1), 'fraction of training over which ε decays'],
  ['--exploration-initial-eps <e>', 'explorationInitialEps', number(0, 1), 'initial ε'],
  ['--exploration-final-eps <e>', 'explorationFinalEps', number(0, 1), 'final ε'],
  ['--max-grad-norm <n>', 'maxGradNorm', number(0), 'clip the gradients\' global norm to this'],
  ['--net-arch <sizes>', 'netArch', integerList(65_536, 16), 'hidden layer sizes, e.g. 256,256'],
  ['--conv-filters <n>', 'convFilters', integer(0, 1024), 'filters of the MinAtar conv layer (0 = MLP)'],
  ['--eval-episodes <n>', 'evalEpisodes', integer(1, 100_000), 'greedy evaluation episodes at the end'],
  ['--checkpoint-interval <n>', 'checkpointInterval', integer(1, 10_000_000_000), 'environment steps between checkpoints'],
];

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train a DQN teacher on an environment with TensorFlow.js')
    .argument('<env>', 'environment id (see `qdistill envs`)')
    .requiredOption('--out <dir>', 'output folder: model.json, weights, card.json, checkpoint')
    .option('--seed <n>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--steps <n>', 'total environment steps (default: the preset\'s)', integer(1, 10_000_000_000))
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

/** Runs the train stage with the command's flags and prints what it made (also used by `demo --train`). */
export async function runTrain(env: string, flags: TrainFlags): Promise<void> {
  const { train } = await import('../rl/index.js');
  const hyperparameters: Record<string, unknown> = {};
  for (const [, key] of hyperparameterFlags) if (flags[key] !== undefined) hyperparameters[key] = flags[key];
  if (flags.doubleQ) hyperparameters.doubleQ = true;
  if (flags.dueling) hyperparameters.dueling = true;
  const bars = progressBars();
  const { card, evalReturns, outDir } = await train({
    env,
    outDir: flags.out,
    seed: flags.seed,
    steps: flags.steps,
    backend: flags.backend,
    configFile: flags.config,
    hyperparameters,
    resume: flags.resume,
    onProgress: bars,
    onLog: flags.json ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  if (flags.json) return printJson({ out: outDir, ...card, evalReturns });
  const { evalReward: r } = card;
  process.stdout.write(
    formatTable(
      ['env', 'steps', 'episodes', 'wall time', 'steps/s', 'backend', 'eval return (mean ± std)'],
      [[env, card.steps, card.episodes, `${card.wallTimeSeconds} s`, card.stepsPerSecond, card.backend, `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} (${r.episodes} ep)`]],
    ) + `\nsaved ${outDir}/teacher.onnx, model.json (tfjs) and card.json\n`,
  );
}
