// `npm start` = `qdistill demo`: the whole job on a committed teacher — distill a small student, quantize it
// (dynamic and static int8), then evaluate and benchmark teacher and students on every runtime that works
// here, write the comparison report and print its summary. --train trains the teacher first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { selectRuntimes } from '../benchmark/runtimes.js';
import { applyPass } from '../compress/apply.js';
import { applyStaticQuantization } from '../compress/apply-static.js';
import { dynamicQuantizationPass } from '../compress/quantize-dynamic.js';
import { STATIC_INT8 } from '../pipelines/recipe-variants.js';
import { distillToFolder } from '../distill/distill.js';
import { modelSlug, MODELS_DIR } from '../util/committed-models.js';
import { TEACHER_ONNX } from '../policy/teacher-onnx.js';
import { compareModels } from '../pipelines/compare.js';
import { writeReport } from '../pipelines/report/write.js';
import { readCard, type TeacherCard } from '../policy/card.js';
import { UsageError } from '../util/errors.js';
import { DEFAULT_BATCHES } from './bench.js';
import { compareText } from './compare.js';
import { checkEnvId } from './common.js';
import { integer, integerList, number } from './options.js';
import { formatTable, printJson, startProgress } from './output.js';
import { runTrain } from './train.js';
import { DEFAULT_DISTILL } from '../distill/config.js';

export function committedTeachers(): { dir: string; card: TeacherCard }[] {
  if (!existsSync(MODELS_DIR)) return [];
  return readdirSync(MODELS_DIR)
    .map((name) => ({ dir: join(MODELS_DIR, name), card: readCard(join(MODELS_DIR, name)) }))
    .filter((t): t is { dir: string; card: TeacherCard } => t.card?.kind === 'teacher');
}

export function teacherTable(teachers: { card: TeacherCard }[]): string {
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

interface DemoFlags {
  env: string;
  student?: number[];
  train?: boolean;
  out?: string;
  episodes: number;
  seconds: number;
  runtime?: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole job on a committed teacher: distill, quantize, evaluate and benchmark on every runtime here, write the report (what `npm start` runs)')
    .option('--env <id>', 'environment of the teacher (models/<env>/teacher.onnx)', 'CartPole-v1')
    .option('--student <sizes>', 'student hidden sizes (default: 16,16 for CartPole, else 64,64)', integerList)
    .option('--train', 'train the teacher from its preset first (into runs/demo-<env>/teacher)')
    .option('--out <dir>', 'output folder (default: runs/demo-<env>)')
    .option('--episodes <n>', 'evaluation episodes per model, on the same seeds', integer(1), 100)
    .option('--seconds <s>', 'time budget of each latency measurement', number(0.01, 60), 0.25)
    .option('--runtime <list>', 'runtimes to benchmark, comma-separated (default: all that work here, the browser included)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  qdistill demo\n  qdistill demo --env LunarLander-v3 --student 32,32 --episodes 20\n  qdistill demo --env Acrobot-v1 --train')
    .action(async (flags: DemoFlags) => runDemo(flags));
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const envId = checkEnvId(flags.env);
  const say = (text: string) => flags.json || process.stdout.write(text);
  const out = flags.out ?? join('runs', `demo-${modelSlug(envId)}`);
  say(`Committed teachers (models/):\n${teacherTable(committedTeachers())}\n\n`);
  let teacher = join(MODELS_DIR, modelSlug(envId), TEACHER_ONNX);
  if (flags.train) {
    await runTrain(envId, { out: join(out, 'teacher'), seed: 1, backend: 'auto', json: flags.json });
    teacher = join(out, 'teacher', TEACHER_ONNX);
  } else if (!existsSync(teacher)) {
    throw new UsageError(`no committed teacher for ${envId}; run with --train`, teacher);
  }
  const selection = await selectRuntimes(flags.runtime ?? 'all');

  // 1. Distill.
  const hidden = flags.student ?? (envId === 'CartPole-v1' ? [16, 16] : [64, 64]);
  say(`1/3 distilling ${envId}'s teacher into a ${hidden.join('-')} student\n`);
  const studentDir = join(out, 'student');
  await distillToFolder(teacher, { hidden, width: 1 }, { ...DEFAULT_DISTILL, out: studentDir, finalEpisodes: flags.episodes, backend: 'wasm' });
  const student = join(studentDir, 'student.onnx');

  // 2. Quantize.
  say('2/3 quantizing the student: int8 dynamic, int8 static (entropy-calibrated, per-channel)\n');
  const dynamic = join(out, 'student-int8-dynamic.onnx');
  const staticFile = join(out, 'student-int8-static.onnx');
  await applyPass(dynamicQuantizationPass, student, dynamic, { perChannel: false, keepInputLayer: true });
  await applyStaticQuantization(student, staticFile, STATIC_INT8);

  // 3. Evaluate, benchmark, report.
  say(`3/3 evaluating (${flags.episodes} episodes each) and benchmarking on ${selection.runtimes.map((r) => r.name).join(', ')}\n`);
  let progress: ReturnType<typeof startProgress> | null = null;
  const report = await compareModels(teacher, [student, dynamic, staticFile], {
    episodes: flags.episodes,
    selection,
    batches: DEFAULT_BATCHES,
    seconds: flags.seconds,
    onProgress: (done, total, what) => {
      progress ??= startProgress('demo', total, '{what}');
      progress.update(done, { what });
    },
  });
  (progress as ReturnType<typeof startProgress> | null)?.stop();
  const written = writeReport(out, report);
  if (flags.json) return printJson(report);
  say(`\n${compareText(report)}\nwrote ${written.join(', ')}\n`);
}
