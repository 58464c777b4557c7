// `npm start`. For now: the table of committed teachers (from their cards) and a fresh evaluation of one of
// them, or a fresh training with --train. The compression demo (distill, quantize, benchmark, report)
// replaces this once those stages exist.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { modelSlug, MODELS_DIR } from '../models.js';
import { readCard, type ModelCard } from '../rl/card.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId } from './common.js';
import { DEFAULT_EVAL_SEED, runEval } from './eval.js';
import { integer } from './options.js';
import { formatTable } from './output.js';
import { runTrain } from './train.js';

export function committedTeachers(): { dir: string; card: ModelCard }[] {
  if (!existsSync(MODELS_DIR)) return [];
  return readdirSync(MODELS_DIR)
    .map((name) => ({ dir: join(MODELS_DIR, name), card: readCard(join(MODELS_DIR, name)) }))
    .filter((t): t is { dir: string; card: ModelCard } => t.card?.kind === 'teacher');
}

export function teacherTable(teachers: { card: ModelCard }[]): string {
  return formatTable(
    ['env', 'network', 'params', 'steps', 'train wall time', 'backend', 'eval return (card)'],
    teachers.map(({ card }) => [
      card.env,
      card.network,
      card.parameters.toLocaleString('en'),
      card.steps.toLocaleString('en'),
      `${card.wallTimeSeconds.toFixed(0)} s`,
      card.backend,
      `${card.evalReward.mean.toFixed(1)} ± ${card.evalReward.std.toFixed(1)} (${card.evalReward.episodes} ep)`,
    ]),
  );
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show the committed teachers and evaluate one (or train it first with --train); what `npm start` runs')
    .option('--env <id>', 'environment of the teacher to evaluate', 'CartPole-v1')
    .option('--train', 'train the teacher from its preset first (into runs/demo-<env>)')
    .option('--episodes <n>', 'evaluation episodes', integer(1), 100)
    .option('--json', 'print the evaluation as JSON')
    .addHelpText('after', '\nExample:\n  qdistill demo\n  qdistill demo --env LunarLander-v3 --train')
    .action(async (flags: { env: string; train?: boolean; episodes: number; json?: boolean }) => {
      const envId = checkEnvId(flags.env);
      let modelDir = join(MODELS_DIR, modelSlug(envId));
      if (!flags.json) process.stdout.write(`Committed teachers (models/):\n${teacherTable(committedTeachers())}\n\n`);
      if (flags.train) {
        modelDir = join('runs', `demo-${modelSlug(envId)}`);
        await runTrain(envId, { out: modelDir, seed: 1, backend: 'auto', json: flags.json });
        if (flags.json) return;
      } else if (!existsSync(join(modelDir, 'model.json'))) {
        throw new UsageError(`no committed teacher for ${envId}; run with --train`, modelDir);
      }
      if (!flags.json) process.stdout.write(`Evaluating ${envId} again, ${flags.episodes} episodes:\n`);
      await runEval(modelDir, { env: envId, episodes: flags.episodes, seed: DEFAULT_EVAL_SEED, backend: 'auto', json: flags.json });
    });
}
