// One student for several environments (Rusu et al. 2016's multi-task distillation): per environment an
// input layer and a head, the hidden layers between them shared, trained on every environment's teacher at
// once (distillTasks). It leaves as one ordinary student file per environment, each holding its input layer,
// a copy of the shared layers and its head: every runtime, pass and export takes it as it is, and a
// deployment of one environment carries nothing of the others. (One file with an env-index input would
// share the trunk at run time but need a switch in the graph that no exporter, quantizer or runtime here
// knows, for a saving of one trunk copy per extra environment.)
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { envSpec } from '../envs/registry.js';
import { buildQNetwork, buildSharedQNetworks } from '../tfjs/networks.js';
import { writeDataset } from '../policy/dataset.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { writeOutputFolder, type StagedFolder } from '../util/output-folder.js';
import { UsageError } from '../util/errors.js';
import { progressOf, type OnProgress } from '../util/progress.js';
import {
  actorsOf,
  byEnvironment,
  configFor,
  datasetHeader,
  describeStudent,
  distillTeachers,
  finishStudent,
  prepare,
  readTeachers,
  selectBackend,
  stopRuleOf,
  type DistillOptions,
  type Prepared,
  type StudentSize,
  type TeacherFile,
  withDefaults,
} from './distill.js';
import { describeStop } from './stopping.js';
import { distillTasks, type RoundReport } from './student.js';
import { studentsTable, type StudentSummary } from './summary.js';

/** What a multi-environment run wrote besides each environment's student folder (multi-env.json). */
export interface MultiEnvSummary {
  /** The environments, in the order their teachers were given; each student is in out/<env>/. */
  envs: string[];
  /** The student's shape: input layer and shared layers' sizes. */
  student: string;
  /** Parameters of the whole multi-environment network: every input layer and head, the shared layers once. */
  totalParameters: number;
  /** Parameters of the shared layers. */
  sharedParameters: number;
  /** One summary per environment (its student file holds its input layer, the shared layers and its head). */
  students: StudentSummary[];
}

/** A folder name for an environment id ('MinAtar/Breakout' → 'MinAtar-Breakout'). */
export function envFolder(env: string): string {
  return env.replace(/[^\w.-]+/g, '-');
}

/**
 * `qdistill distill` with any teachers: one student (one teacher, or an ensemble of several of one
 * environment), or — teachers of several environments — one student with a shared trunk and one file per
 * environment. Returns one summary per environment.
 */
export async function distillEnvironments(teacherPath: string | undefined, size: StudentSize, o: DistillOptions): Promise<{ students: StudentSummary[]; multiEnv: MultiEnvSummary | null }> {
  const teachers = readTeachers(teacherPath, o);
  const groups = byEnvironment(teachers);
  if (groups.length <= 1) return { students: [await distillTeachers(teachers, size, o)], multiEnv: null };
  // Locked and staged like distillTeachers: every environment's folder and the summaries appear together.
  return writeOutputFolder(o.out, (staged) => distillGroups(groups, size, o, staged));
}

async function distillGroups(groups: TeacherFile[][], size: StudentSize, o: DistillOptions, staged: StagedFolder): Promise<{ students: StudentSummary[]; multiEnv: MultiEnvSummary | null }> {
  const unnamed = groups.find((g) => g[0].env === undefined);
  if (unnamed) throw new UsageError(`${unnamed[0].path} carries no qdistill.env metadata; with teachers of several environments name its environment as FILE@ENV`, unnamed[0].path);
  if (o.fromDemos || o.dataset) throw new UsageError('a multi-environment student learns from its teachers; --from-demos and --dataset take one environment');
  if (size.hidden.length < 2) throw new UsageError(`a multi-environment student needs at least two hidden layers (the first per environment, the rest shared), e.g. --student 64,64; got ${size.hidden.join(',')}`);
  const specs = groups.map((g) => envSpec(g[0].env!));
  const image = specs.find((s) => s.observationShape.length > 1);
  if (image) throw new UsageError(`multi-environment students are MLPs; ${image.id} has image observations [${image.observationShape}]`);
  if (o.loss === 'dqn+kl') throw new UsageError('--loss dqn+kl trains one Q-function on one environment; a multi-environment student takes kl, mse or nll');

  const prepared: Prepared[] = [];
  try {
    for (const g of groups) prepared.push(await prepare(g, { ...o, env: g[0].env }, [size]));
  } catch (error) {
    for (const p of prepared) await p.teacher?.dispose();
    throw error;
  }
  const losses = new Set(prepared.map((p) => p.loss));
  // A teacher that gives actions only makes its environment nll; the trunk then learns every environment by nll.
  const loss = losses.size === 1 ? prepared[0].loss : 'nll';
  const config = configFor(o, specs[0], size, loss, false);
  const choice = await selectBackend(o.backend, specs[0], config);
  const log = o.onLog ?? (() => {});
  log(`backend: ${choice.backend} (${choice.reason})`);
  log(`distilling ${prepared.map((p) => `${p.teacherPath} (${p.spec.id})`).join(', ')} into one ${describeStudent(config)} student: an input layer and a head per environment, ${config.hidden.slice(1).join('-')} shared (${config.loss})`);
  const models = buildSharedQNetworks(specs, config.hidden, config.seed);
  const run = await distillTasks(
    prepared.map((p, k) => ({
      envId: p.spec.id,
      teacher: p.teacher,
      stop: stopRuleOf(p, config),
      qTargets: !p.actionsOnly,
      actorFor: actorsOf(p.teacher),
      student: models[k],
      temperature: p.teacherFiles.length > 1 ? 1 : undefined,
    })),
    config,
    multiProgress(o.onProgress, config.rounds, specs.map((s) => s.id)),
  );
  const shared = sharedParameterCount(models);
  const total = models.reduce((n, m) => n + m.countParams(), 0) - shared * (models.length - 1);
  const multiEnv = { envs: specs.map((s) => s.id), student: describeStudent(config), totalParameters: total, sharedParameters: shared };
  const students: StudentSummary[] = [];
  for (const [k, p] of prepared.entries()) {
    const task = run.tasks[k];
    log(`${p.spec.id}: ${describeStop(task.stop)}`);
    // The file for this environment: a plain network with this environment's layers and a copy of the shared ones.
    const student = buildQNetwork(p.spec, { hidden: config.hidden, dueling: false }, config.seed);
    student.setWeights(models[k].getWeights());
    const dir = staged.path(envFolder(p.spec.id));
    students.push({ ...(await finishStudent(p, { ...o, out: dir }, config, { student, ...task, stoppedEarly: run.stoppedEarly, wallSeconds: run.wallSeconds }, dir, choice.backend, config.collect, { multiEnv })), out: staged.finalPath(envFolder(p.spec.id)) });
    writeDataset(join(dir, 'dataset.qdb'), datasetHeader(p, task.memory, config.collect));
    student.dispose();
    await p.teacher?.dispose();
  }
  for (const m of models) m.dispose();
  const summary: MultiEnvSummary = { ...multiEnv, students };
  writeJsonAtomic(staged.path('multi-env.json'), summary);
  writeFileAtomic(staged.path('multi-env.md'), `# One ${summary.student} student for ${summary.envs.join(', ')}\n\n${total} parameters in all (${shared} shared); one file per environment.\n\n\`\`\`\n${studentsTable(students, { env: true })}\n\`\`\`\n`);
  return { students, multiEnv: summary };
}

/** Parameters of the layers every model uses (the shared trunk). */
function sharedParameterCount(models: tf.LayersModel[]): number {
  const uses = new Map<string, { count: number; size: number }>();
  for (const m of models) for (const w of m.trainableWeights) uses.set(w.name, { count: (uses.get(w.name)?.count ?? 0) + 1, size: w.shape.reduce((a: number, b) => a * (b ?? 1), 1) });
  return [...uses.values()].filter((u) => u.count === models.length).reduce((n, u) => n + u.size, 0);
}

/** Rounds as progress, with each environment's return on its stop episodes. */
function multiProgress(onProgress: OnProgress | undefined, rounds: number, envs: string[]) {
  const update = progressOf(onProgress, 'distill', rounds);
  return (reports: RoundReport[]) =>
    update(reports[0].round, { loss: reports[0].loss.toPrecision(3), ...Object.fromEntries(reports.map((r, k) => [envs[k], `${r.evalMean.toFixed(1)}${r.verdict ? (r.verdict.notWorse ? ' ✓' : ' ✗') : ''}`])) });
}

/** Options of distillMultiEnv(): the teachers (one or more per environment), the student's shape and where to write it; the rest has distill()'s defaults. */
export interface MultiEnvRequest extends Partial<Omit<DistillOptions, 'out' | 'env' | 'teachers'>> {
  /** Teacher files, `FILE@ENV` where a file carries no qdistill.env; several of one environment form an ensemble. */
  teachers: string[];
  /** Hidden layer sizes, at least two: the first is each environment's input layer, the rest are shared. */
  student: number[];
  /** Folder for one `<env>/` student folder per environment and multi-env.md/json. */
  outDir: string;
}

/**
 * One student for several environments (a shared trunk, an input layer and a head per environment), written as
 * one ordinary student file per environment. Returns the total and shared parameters and each environment's
 * figures, measured on the shared evaluation seeds.
 */
export async function distillMultiEnv(request: MultiEnvRequest): Promise<MultiEnvSummary> {
  const { teachers, student, outDir, ...rest } = request;
  const { multiEnv } = await distillEnvironments(teachers[0], { hidden: student }, withDefaults({ ...rest, teachers: teachers.slice(1), out: outDir }));
  if (!multiEnv) throw new UsageError(`the teachers all play one environment; distill() makes their (ensemble) student`);
  return multiEnv;
}
