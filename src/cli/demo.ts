// `npm start`: the committed teachers, then one of them distilled into a small student and both compared.
// (Train first with --train.) Quantization, benchmarks and the report join this once those stages exist.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { distillToFolder } from '../distill/pipeline.js';
import { DEFAULT_DISTILL } from '../distill/student.js';
import { modelSlug, MODELS_DIR } from '../models.js';
import { readCard, type ModelCard } from '../rl/card.js';
import { TEACHER_ONNX } from '../onnx/export-teacher.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId } from './common.js';
import { summaryTable } from './distill.js';
import { integerList } from './options.js';
import { formatTable, printJson } from './output.js';
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
    .description('the committed teachers, and one distilled into a small student (what `npm start` runs)')
    .option('--env <id>', 'environment of the teacher to distill', 'CartPole-v1')
    .option('--student <sizes>', 'student hidden sizes (default: 16,16 for CartPole, else 64,64)', integerList)
    .option('--train', 'train the teacher from its preset first (into runs/demo-<env>)')
    .option('--out <dir>', 'where the student goes (default: runs/demo-<env>-student)')
    .option('--json', 'print the student summary as JSON')
    .addHelpText('after', '\nExample:\n  qdistill demo\n  qdistill demo --env LunarLander-v3 --student 32,32')
    .action(async (flags: { env: string; student?: number[]; train?: boolean; out?: string; json?: boolean }) => {
      const envId = checkEnvId(flags.env);
      let teacherDir = join(MODELS_DIR, modelSlug(envId));
      if (!flags.json) process.stdout.write(`Committed teachers (models/):\n${teacherTable(committedTeachers())}\n\n`);
      if (flags.train) {
        teacherDir = join('runs', `demo-${modelSlug(envId)}`);
        await runTrain(envId, { out: teacherDir, seed: 1, backend: 'auto', json: flags.json });
      } else if (!existsSync(join(teacherDir, TEACHER_ONNX))) {
        throw new UsageError(`no committed teacher for ${envId}; run with --train`, teacherDir);
      }
      const hidden = flags.student ?? (envId === 'CartPole-v1' ? [16, 16] : [64, 64]);
      const out = flags.out ?? join('runs', `demo-${modelSlug(envId)}-student`);
      const summary = await distillToFolder(join(teacherDir, TEACHER_ONNX), { hidden, width: 1 }, {
        ...DEFAULT_DISTILL,
        out,
        finalEpisodes: 100,
        backend: 'wasm',
        quiet: flags.json,
      });
      if (flags.json) return printJson(summary);
      process.stdout.write(`\nDistilled ${envId}'s teacher into a ${summary.student} student:\n${summaryTable([summary])}\nsaved ${out}/student.onnx\n`);
    });
}
