// What `npm start` runs: the whole job on a committed teacher — distill a small student, quantize it (dynamic
// and static int8), then evaluate and benchmark teacher and students on every runtime that works here and
// write the comparison report. With `train`, the teacher is trained from its preset first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { selectRuntimes } from '../benchmark/index.js';
import { applyPass, applyStaticQuantization, dynamicQuantizationPass } from '../compress/index.js';
import { DEFAULT_DISTILL, distillToFolder } from '../distill/index.js';
import { checkEnvId } from '../envs/registry.js';
import { readCard, type TeacherCard } from '../policy/card.js';
import { TEACHER_ONNX } from '../policy/teacher-onnx.js';
import { train } from '../rl/index.js';
import { MODELS_DIR, modelSlug } from '../util/committed-models.js';
import { UsageError } from '../util/errors.js';
import type { OnLog, OnProgress } from '../util/progress.js';
import { compareModels } from './compare.js';
import { STATIC_INT8 } from './recipe-variants.js';
import { writeReport } from './report/write.js';
import { type CompareReport } from './report/types.js';

/** Batch sizes of the demo's throughput figures. */
export const DEMO_BATCHES = [1, 32, 1024];

/** Options of runDemo(); every one has a default. */
export interface DemoOptions {
  /** Environment of the teacher (default CartPole-v1; models/<env>/teacher.onnx). */
  env?: string;
  /** Student hidden sizes (default 16,16 for CartPole, else 64,64). */
  student?: number[];
  /** Train the teacher from its preset first (into <out>/teacher). */
  train?: boolean;
  /** Output folder (default runs/demo-<env>). */
  out?: string;
  /** Evaluation episodes per model, on the same seeds (default 100). */
  episodes?: number;
  /** Time budget of each latency measurement in seconds (default 0.25). */
  seconds?: number;
  /** Runtimes to benchmark, comma-separated (default: all that work here). */
  runtime?: string;
  /** Training (with `train`), distillation, and the comparison's episodes and measurements. */
  onProgress?: OnProgress;
  /** The steps as they start. */
  onLog?: OnLog;
}

/** What runDemo() made: the teacher used, the students, and the comparison report. */
export interface DemoResult {
  /** The output folder. */
  out: string;
  /** The teacher file used (the committed one, or <out>/teacher/teacher.onnx with `train`). */
  teacher: string;
  /** The student and its int8 dynamic and static versions. */
  students: string[];
  /** The comparison of the teacher and the students. */
  report: CompareReport;
  /** The report files written (report.json, .md, .html). */
  written: string[];
}

/** The committed teachers (models/<env>/ with a teacher card). */
export function committedTeachers(): { dir: string; card: TeacherCard }[] {
  if (!existsSync(MODELS_DIR)) return [];
  return readdirSync(MODELS_DIR)
    .map((name) => ({ dir: join(MODELS_DIR, name), card: readCard(join(MODELS_DIR, name)) }))
    .filter((t): t is { dir: string; card: TeacherCard } => t.card?.kind === 'teacher');
}

/** Distill → quantize → evaluate, benchmark and report; see DemoOptions. */
export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const env = checkEnvId(o.env ?? 'CartPole-v1');
  const log = o.onLog ?? (() => {});
  const episodes = o.episodes ?? 100;
  const out = o.out ?? join('runs', `demo-${modelSlug(env)}`);
  let teacher = join(MODELS_DIR, modelSlug(env), TEACHER_ONNX);
  if (o.train) {
    log(`0/3 training a ${env} teacher from its preset`);
    teacher = (await train({ env, outDir: join(out, 'teacher'), seed: 1, onProgress: o.onProgress, onLog: log })).teacherPath;
  } else if (!existsSync(teacher)) {
    throw new UsageError(`no committed teacher for ${env}; run with --train`, teacher);
  }
  const selection = await selectRuntimes(o.runtime ?? 'all');

  const hidden = o.student ?? (env === 'CartPole-v1' ? [16, 16] : [64, 64]);
  log(`1/3 distilling ${env}'s teacher into a ${hidden.join('-')} student`);
  const studentDir = join(out, 'student');
  await distillToFolder(teacher, { hidden, width: 1 }, { ...DEFAULT_DISTILL, out: studentDir, finalEpisodes: episodes, backend: 'wasm', onProgress: o.onProgress });
  const student = join(studentDir, 'student.onnx');

  log('2/3 quantizing the student: int8 dynamic, int8 static (entropy-calibrated, per-channel)');
  const dynamic = join(out, 'student-int8-dynamic.onnx');
  const staticFile = join(out, 'student-int8-static.onnx');
  await applyPass(dynamicQuantizationPass, student, dynamic, { perChannel: false, keepInputLayer: true });
  await applyStaticQuantization(student, staticFile, STATIC_INT8);

  log(`3/3 evaluating (${episodes} episodes each) and benchmarking on ${selection.runtimes.map((r) => r.name).join(', ')}`);
  const students = [student, dynamic, staticFile];
  const report = await compareModels(teacher, students, {
    episodes,
    selection,
    batches: DEMO_BATCHES,
    seconds: o.seconds ?? 0.25,
    onProgress: o.onProgress && ((event) => o.onProgress!({ ...event, task: 'demo' })),
  });
  return { out, teacher, students, report, written: writeReport(out, report) };
}
