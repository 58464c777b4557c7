// `npm start`. For now: evaluate a committed teacher (or train one first with --train). The compression
// demo (distill, quantize, benchmark, report) replaces this once those stages exist.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { modelSlug, MODELS_DIR } from '../models.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId } from './common.js';
import { runEval } from './eval.js';
import { integer } from './options.js';
import { runTrain } from './train.js';
import { DEFAULT_EVAL_SEED } from './train.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('evaluate a committed teacher (or train one first with --train); what `npm start` runs')
    .option('--env <id>', 'environment of the committed teacher', 'CartPole-v1')
    .option('--train', 'train the teacher from its preset first (into runs/demo-<env>)')
    .option('--episodes <n>', 'evaluation episodes', integer(1), 100)
    .option('--json', 'print the evaluation as JSON')
    .addHelpText('after', '\nExample:\n  qdistill demo\n  qdistill demo --env LunarLander-v3 --train')
    .action(async (flags: { env: string; train?: boolean; episodes: number; json?: boolean }) => {
      const envId = checkEnvId(flags.env);
      let modelDir = join(MODELS_DIR, modelSlug(envId));
      if (flags.train) {
        modelDir = join('runs', `demo-${modelSlug(envId)}`);
        await runTrain(envId, { out: modelDir, seed: 1, backend: 'auto', json: flags.json });
        if (flags.json) return;
      } else if (!existsSync(join(modelDir, 'model.json'))) {
        throw new UsageError(`no committed teacher for ${envId}; run with --train`, modelDir);
      }
      await runEval(modelDir, { env: envId, episodes: flags.episodes, seed: DEFAULT_EVAL_SEED, backend: 'auto', json: flags.json });
    });
}
