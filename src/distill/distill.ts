// The distill and sweep stages end to end: open the teacher, learn its target return, pick the backend,
// train students, evaluate them on the shared evaluation seeds, and write student.onnx, card.json and the
// labelled dataset. A sweep labels states once and trains every student size on the same labels.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { checkEnvId, envIds, envSpec, makeEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize, type EnvSpec } from '../envs/types.js';
import { openPolicyModel } from '../infer/open.js';
import { inspectModel } from '../onnx/inspect.js';
import { loadModel, type LoadedModel } from '../onnx/read-bytes.js';
import { metadataOf } from '../onnx/graph.js';
import { METADATA_KEYS } from '../policy/metadata.js';
import type { Policy } from '../infer/policy.js';
import { tfjsToOnnx } from '../onnx/export-tfjs.js';
import { policyMetadata } from '../policy/metadata.js';
import { writeModelFile } from '../onnx/model.js';
import { evaluatePolicy, type EvalResult } from '../rollout/evaluate.js';
import { evaluateLockstep, type BatchActFn } from '../rollout/lockstep.js';
import type { ActFn } from '../rollout/episode.js';
import { activateBackend, quietTfjs, type ConcreteBackend } from '../tfjs/backends.js';
import { chooseBackend, type BackendChoice } from '../tfjs/choose-backend.js';
import { greedyAction, greedyActions } from '../tfjs/greedy.js';
import { buildQNetwork } from '../tfjs/networks.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { writeOutputFolder, type StagedFolder } from '../util/output-folder.js';
import { studentsTable, type HeldOutFigures, type OfflineStudentSummary, type StudentSummary } from './summary.js';
import { readArrayFile, toFloat32 } from '../util/npy.js';
import { actionAgreement, argmax, argmaxRows } from '../policy/agreement.js';
import { fidelity } from '../policy/fidelity.js';
import { shareOfTeacherGain } from '../policy/gain.js';
import { randomPolicyReward } from '../rollout/random-baseline.js';
import { provenance } from '../policy/card.js';
import { specFromGraph } from '../policy/file.js';
import { UsageError } from '../util/errors.js';
import { progressOf, type OnLog, type OnProgress } from '../util/progress.js';
import { TOOL_VERSION } from '../util/version.js';
import { heldOutFidelity } from './agreement.js';
import { describeStop, MIN_STOP_EPISODES, playStopEpisodes, stopRule, type StopRule } from './stopping.js';
import { fileHash, readDataset, writeDataset, type Dataset, type DatasetFormat } from '../policy/dataset.js';
import { DistillMemory } from './memory.js';
import { checkDistillPlan } from './preflight.js';
import { TeacherEnsemble } from './ensemble.js';
import { distillStudent, type DistillResult, type RoundReport } from './student.js';
import { collectSteps } from '../rollout/visited-states.js';
import { DEFAULT_DISTILL, DEFAULT_HELD_OUT_SHARE, type DistillConfig } from './config.js';
import type { LossName } from './loss-names.js';
import { DEFAULT_EVAL_SEED, DEFAULT_STOP_SEED } from '../rollout/seeds.js';
import { type BackendName } from '../tfjs/backend-names.js';

/** The distill and sweep stages' options: the trainer's settings (DistillConfig) plus where the data comes from and goes. */
export interface DistillOptions extends Omit<DistillConfig, 'hidden' | 'convFilters' | 'loss'> {
  /**
   * What the student learns from the teacher. Left out: kl, or nll (behaviour cloning) when the teacher gives
   * actions only or the data are demonstrations. A loss that needs Q-values (kl, mse, dqn+kl) with a teacher
   * that gives actions only is a UsageError.
   */
  loss?: LossName;
  /** Environment id for teacher files without qdistill.env metadata (or to override it). */
  env?: string;
  /** More teachers of the same environment: the student learns their ensemble (labels: the mixture of their tempered policies; each plays its share of the collection). */
  teachers?: string[];
  /** The teacher file's graph output holding its Q-values (or actions), for files with several outputs. */
  output?: string;
  /** Accept a teacher file with a float16 input and output (run with float32 casts at its boundary). */
  allowFp16?: boolean;
  /** Folder for student.onnx, card.json and dataset.qdb (a sweep: dataset.qdb, sweep.md/json and one folder per size). */
  out: string;
  /** Greedy episodes of the final evaluation on the shared seeds, also used for the teacher's and a random policy's return (distill() and sweep(): 100). */
  finalEpisodes: number;
  /** tfjs backend to train on; 'auto' times them; webgpu is refused with a UsageError (distill() and sweep(): wasm). */
  backend: BackendName;
  /** Behaviour cloning on a file written by `qdistill record`. */
  fromDemos?: string;
  /** Labelled states of an earlier run to reuse (its dataset.qdb or dataset.npz). */
  dataset?: string;
  /**
   * Offline distillation (distillOffline): states recorded anywhere, a .npy of shape [N, ...observationShape],
   * or an .npz whose array 'observations' (else 'obs', else its only array) is that. The teacher labels them;
   * no environment is played.
   */
  observations?: string;
  /** With `observations`: the share of the states held out of training, on which fidelity is measured (default 0.2; which states, the seed decides). */
  heldOutShare?: number;
  /** How the labelled states beside the student are written: dataset.qdb (default) or dataset.npz for numpy.load. */
  datasetFormat?: DatasetFormat;
  /** Progress of the long steps (labelling, training rounds, evaluations). */
  onProgress?: OnProgress;
  /** What a person would be told (chosen backend, what is distilled into what). */
  onLog?: OnLog;
  /** false: spend the whole budget instead of stopping once the paired stop rule shows the student is not worse than the teacher by more than stopMargin. */
  earlyStop?: boolean;
}

/** One student's shape: hidden layer sizes, and a width multiplier for MinAtar CNN students. */
export interface StudentSize {
  /** Hidden layer sizes, e.g. [16, 16]. */
  hidden: number[];
  /** MinAtar CNN students: conv filters = 16 × width (default 1; MLP students ignore it). */
  width?: number;
}


export interface Prepared {
  /** The teacher: one file's policy, or the ensemble of several. */
  teacher?: Policy;
  /** The teacher file, or the files joined by ' + ' for an ensemble. */
  teacherPath?: string;
  /** Every teacher file (one, several for an ensemble, none for demonstrations). */
  teacherFiles: string[];
  /** Each member's return on the evaluation seeds, for an ensemble (null for one teacher). */
  memberGoals: { mean: number; std: number; episodes: number }[] | null;
  /** The teacher's parameters: from its card, else counted in its graph; null without a teacher. */
  teacherParameters: number | null;
  /** The teacher gives actions only (or the reused dataset holds such a teacher's actions): behaviour cloning. */
  actionsOnly: boolean;
  /** The loss every student trains with (chooseLoss). */
  loss: LossName;
  dataset?: Dataset;
  spec: EnvSpec;
  goal: { mean: number; std: number; episodes: number } | null;
  /** Return of a uniformly random policy on the evaluation seeds: the 0% of "% of teacher". */
  randomReward: number;
  /** The teacher's returns on the stop rule's paired episodes; null without a teacher. */
  teacherStopReturns: number[] | null;
  log: (line: string) => void;
}

/** The teacher's evaluation return: from its card when it was measured on our seeds, else measured now. */
async function teacherReward(teacher: Policy, episodes: number, numEnvs: number, onProgress?: OnProgress): Promise<{ mean: number; std: number; episodes: number }> {
  const card = teacher.info.card as { evalReward?: { mean: number; std: number; episodes: number; seed: number } } | null;
  if (card?.evalReward && card.evalReward.seed === DEFAULT_EVAL_SEED && card.evalReward.episodes === episodes) return card.evalReward;
  const onEpisode = progressOf(onProgress, 'teacher eval', episodes);
  const act = async (observations: Float32Array, count: number) => argmaxRows(await teacher.qValues(observations, count), count);
  const r = await evaluateEpisodes(teacher.spec.id, (o) => teacher.act(o), act, { episodes, seed: DEFAULT_EVAL_SEED, numEnvs, onEpisode });
  return { mean: r.mean, std: r.std, episodes };
}

/**
 * The final evaluations' episodes: one after another, or with numEnvs > 1 side by side (one batched call
 * and, for a gym: env, one round trip per step). The episodes are the same either way.
 */
function evaluateEpisodes(envId: string, act: ActFn, actBatch: BatchActFn, o: { episodes: number; seed: number; numEnvs: number; onEpisode?: (done: number) => void }): Promise<EvalResult> {
  return o.numEnvs > 1 ? evaluateLockstep(envId, actBatch, o) : evaluatePolicy(envId, act, o);
}

/** A teacher file as given (`FILE` or `FILE@ENV`), read once, with the environment it plays. */
export interface TeacherFile {
  path: string;
  loaded: LoadedModel;
  /** `@ENV`, else --env, else the file's qdistill.env; undefined for a file from elsewhere without --env. */
  env: string | undefined;
}

/** Reads every teacher of a run once; `FILE@ENV` names a file's environment (for files from elsewhere in a multi-environment run). */
export function readTeachers(teacherPath: string | undefined, o: DistillOptions): TeacherFile[] {
  return teacherFiles(teacherPath, o).map((given) => {
    const at = given.lastIndexOf('@');
    const named = at > 0 && envIds().includes(given.slice(at + 1)) ? given.slice(at + 1) : undefined;
    const path = named ? given.slice(0, at) : given;
    const loaded = loadModel(path);
    return { path, loaded, env: named ?? o.env ?? metadataOf(loaded.model)[METADATA_KEYS.env] };
  });
}

/** Reads the teachers and the dataset, checks the plan for `sizes`, and plays the teacher's reference episodes. */
export async function prepare(teachers: TeacherFile[], o: DistillOptions, sizes: readonly StudentSize[] = [], sweep = false): Promise<Prepared> {
  if (!teachers.length && !o.fromDemos) throw new UsageError('give a teacher.onnx, or --from-demos FILE');
  if (o.fromDemos && o.dataset) throw new UsageError('--from-demos and --dataset are alternatives; give one');
  const datasetFile = o.fromDemos ?? o.dataset;
  // Demonstrations saved by another tool (an .npz of states and actions, no qdistill header) are read as those of --env.
  const dataset = datasetFile ? readDataset(datasetFile, o.fromDemos && o.env ? envSpec(checkEnvId(o.env)) : undefined) : undefined;
  if (dataset?.header.source === 'observations' && o.loss === 'dqn+kl') throw new UsageError('--loss dqn+kl learns from transitions, and this dataset holds recorded observations without them (`distill --observations`); use kl, mse or nll', datasetFile);
  if (o.fromDemos && dataset!.header.targets !== 'none') throw new UsageError('--from-demos expects a file written by `qdistill record`', o.fromDemos);
  const paths = teachers.map((t) => t.path);
  const teacherPath = paths.join(' + ') || undefined;
  const members: Policy[] = [];
  const memberParameters: number[] = [];
  for (const { path, loaded, env } of teachers) {
    const member = await openPolicyModel(loaded.bytes, loaded.model, path, { env: env ?? dataset?.header.env, output: o.output, allowFp16: o.allowFp16, onLog: o.onLog });
    members.push(member);
    const cardParameters = (member.info.card as { parameters?: unknown } | null)?.parameters;
    memberParameters.push(typeof cardParameters === 'number' ? cardParameters : inspectModel(loaded.model).parameters);
  }
  // Several teachers: one teacher whose labels are their mixture (ensemble.ts); the largest is the size the student is measured against.
  const teacher = members.length > 1 ? await ensembleOf(members, paths, o) : members[0];
  const teacherParameters = members.length ? Math.max(...memberParameters) : null;
  const memberGoals = members.length > 1 ? await Promise.all(members.map((m) => teacherReward(m, o.finalEpisodes, o.numEnvs ?? 1))) : null;
  const spec = envSpec(checkEnvId(teacher?.spec.id ?? o.env ?? dataset!.header.env));
  try {
    const capacity = dataset ? dataset.header.count : sweep ? o.rounds * o.stepsPerRound : o.memorySize;
    const capacityFlag = dataset ? 'the dataset' : sweep ? `--rounds ${o.rounds} × --steps-per-round ${o.stepsPerRound}` : `--memory-size ${o.memorySize}`;
    checkDistillPlan({ capacity, capacityFlag, students: sizes.map((s) => s.hidden), batchSize: o.batchSize }, spec);
  } catch (error) {
    for (const m of members) await m.dispose();
    throw error;
  }
  if (dataset && (dataset.header.env !== spec.id || dataset.header.observationShape.join() !== spec.observationShape.join())) {
    throw new UsageError(`the dataset holds ${dataset.header.env} states [${dataset.header.observationShape}], not ${spec.id} [${spec.observationShape}]`, datasetFile);
  }
  const actionsOnly = teacher?.info.output === 'actions' || (dataset !== undefined && dataset.header.targets === 'actions');
  const log = o.onLog ?? (() => {});
  let loss: LossName;
  try {
    loss = chooseLoss({ teacher, teacherPath, actionsOnly, log }, o);
  } catch (error) {
    await teacher?.dispose();
    throw error;
  }
  const goal = teacher ? await teacherReward(teacher, o.finalEpisodes, o.numEnvs ?? 1, o.onProgress) : null;
  const randomReward = await randomPolicyReward(spec.id, o.finalEpisodes, spec.actionCount);
  if (teacher && o.earlyStop !== false && o.evalEpisodes < MIN_STOP_EPISODES) {
    await teacher.dispose();
    throw new UsageError(`the stop rule needs at least ${MIN_STOP_EPISODES} paired episodes (--eval-episodes ${o.evalEpisodes}); raise it or pass --no-early-stop`);
  }
  const teacherStopReturns = teacher && o.earlyStop !== false ? await playStopEpisodes(teacher, o.evalEpisodes) : null;
  return { teacher, teacherPath, teacherFiles: paths, memberGoals, teacherParameters, actionsOnly, loss, dataset, spec, goal, randomReward, teacherStopReturns, log };
}

/** Teachers grouped by the environment they play, in the order given (files with no env known form one group). */
export function byEnvironment(teachers: TeacherFile[]): TeacherFile[][] {
  const groups = new Map<string, TeacherFile[]>();
  for (const t of teachers) groups.set(t.env ?? '', [...(groups.get(t.env ?? '') ?? []), t]);
  return [...groups.values()];
}

/** For an ensemble, who plays the teacher's share of each episode: its members in turn. */
export function actorsOf(teacher: Policy | undefined): ((episode: number) => Policy) | undefined {
  return teacher instanceof TeacherEnsemble ? (episode) => teacher.actorFor(episode) : undefined;
}

/** The teacher files of a run: the positional one and every `teachers` entry. */
function teacherFiles(teacherPath: string | undefined, o: DistillOptions): string[] {
  const paths = [...(teacherPath ? [teacherPath] : []), ...(o.teachers ?? [])];
  if (paths.length > 1 && (o.fromDemos || o.dataset)) throw new UsageError('several teachers label their own states; --from-demos and --dataset take none');
  if (new Set(paths).size !== paths.length) throw new UsageError(`a teacher is given twice: ${paths.join(', ')}`);
  return paths;
}

/** The ensemble of several teachers, disposing of them all if they cannot be combined. */
async function ensembleOf(members: Policy[], paths: string[], o: DistillOptions): Promise<Policy> {
  try {
    return await TeacherEnsemble.of(members, paths, { temperature: o.temperature ?? DEFAULT_DISTILL.temperature, relativeTemperature: o.relativeTemperature ?? DEFAULT_DISTILL.relativeTemperature, states: 2000, seed: 424243 });
  } catch (error) {
    for (const m of members) await m.dispose();
    throw error;
  }
}

/**
 * The loss to train with: nll for demonstrations; nll — behaviour cloning, said in one log line — for a teacher
 * that gives actions only, where a loss that needs Q-values is a UsageError; else the one asked for (default kl).
 */
function chooseLoss(p: Pick<Prepared, 'teacher' | 'teacherPath' | 'actionsOnly' | 'log'>, o: DistillOptions): LossName {
  if (o.fromDemos) return 'nll';
  if (!p.actionsOnly) return o.loss ?? DEFAULT_DISTILL.loss;
  const source = p.teacher ? `${p.teacherPath} gives actions only (output '${p.teacher.info.outputName}', no Q-values)` : `the dataset holds a teacher's actions only, no Q-values`;
  if (o.loss !== undefined && o.loss !== 'nll') {
    throw new UsageError(`--loss ${o.loss} needs the teacher's Q-values, but ${source}; leave --loss out (or pass --loss nll) to distil it by behaviour cloning`, p.teacherPath ?? o.dataset);
  }
  p.log(`distilling by behaviour cloning (cross-entropy on the teacher's actions): ${source}`);
  return 'nll';
}

/** The paired stop rule of a run; null without a teacher or with earlyStop false. */
export function stopRuleOf(p: Prepared, config: DistillConfig): StopRule | null {
  if (!p.teacherStopReturns) return null;
  return stopRule(p.teacherStopReturns, p.randomReward, { seed: DEFAULT_STOP_SEED, marginShare: config.stopMargin, confidence: config.stopConfidence, rounds: config.rounds });
}

export function configFor(o: DistillOptions, spec: EnvSpec, size: StudentSize, loss: LossName, ensemble: boolean): DistillConfig {
  const { env: _env, teachers: _teachers, output: _output, allowFp16: _fp16, out: _out, finalEpisodes: _f, backend: _b, fromDemos: _demos, dataset: _d, onProgress: _p, onLog: _l, earlyStop: _e, observations: _obs, heldOutShare: _h, datasetFormat: _df, ...config } = o;
  return {
    ...DEFAULT_DISTILL,
    ...config,
    hidden: size.hidden,
    convFilters: spec.observationShape.length === 3 ? Math.max(1, Math.round(16 * (size.width ?? 1))) : 0,
    loss,
    // An ensemble's outputs are already log-probabilities, each member tempered by its own τ_k.
    ...(ensemble ? { temperature: 1 } : {}),
  };
}

/** A student's shape as a name, e.g. '16-16' or 'conv16-128' (also its folder name in a sweep). */
export function describeStudent(config: Pick<DistillConfig, 'hidden' | 'convFilters'>): string {
  return `${config.convFilters ? `conv${config.convFilters}-` : ''}${config.hidden.join('-')}`;
}

export async function selectBackend(requested: BackendName, spec: EnvSpec, config: DistillConfig): Promise<BackendChoice> {
  // The student trainer reads its outputs synchronously, which tfjs-backend-webgpu cannot do in Node.
  if (requested === 'webgpu') throw new UsageError('distill cannot train on the webgpu backend (it reads results synchronously, which tfjs-backend-webgpu cannot do in Node); use wasm, cpu or tensorflow-gpu');
  quietTfjs();
  const rng = new Rng(config.seed);
  const observations = Float32Array.from({ length: config.batchSize * observationSize(spec) }, () => rng.normal());
  const choice = await chooseBackend(requested, {
    build: () => buildQNetwork(spec, { hidden: config.hidden, dueling: false, convFilters: config.convFilters || undefined }, config.seed),
    loss: (model) => tf.tidy(() => tf.mean(tf.square(model.apply(tf.tensor(observations, [config.batchSize, ...spec.observationShape])) as tf.Tensor)) as tf.Scalar),
  });
  if (choice.backend !== 'webgpu') return choice;
  // auto timed webgpu fastest: take the fastest of the others it timed (cpu always is).
  const [backend] = (Object.entries(choice.msPerStep) as [ConcreteBackend, number][]).filter(([b]) => b !== 'webgpu').sort((a, b) => a[1] - b[1])[0];
  await activateBackend(backend);
  return { ...choice, backend, reason: `${choice.reason}; distill cannot train on webgpu, so ${backend}` };
}

/** Final evaluation, agreement, student.onnx and card.json for one trained student. */
export async function finishStudent(p: Prepared, o: DistillOptions, config: DistillConfig, result: DistillResult, out: string, backend: string, collect: StudentSummary['collect'], extra: object = {}): Promise<StudentSummary> {
  const { spec, teacher } = p;
  const onEpisode = progressOf(o.onProgress, 'student eval', o.finalEpisodes);
  const reward = await evaluateEpisodes(spec.id, (obs) => greedyAction(result.student, obs, spec.observationShape), (obs, count) => greedyActions(result.student, obs, count, spec.observationShape), {
    episodes: o.finalEpisodes,
    seed: DEFAULT_EVAL_SEED,
    numEnvs: config.numEnvs ?? 1,
    onEpisode,
  });
  const heldOut = teacher ? await heldOutFidelity(teacher, result.student, 2000, 424242, !p.actionsOnly) : null;
  const agreement = heldOut?.agreement ?? null;
  const card = {
    kind: 'student',
    env: spec.id,
    teacher: teacherRecord(p),
    demonstrations: o.fromDemos ?? null,
    method: methodOf(p, o),
    student: describeStudent(config),
    parameters: result.student.countParams(),
    config,
    evalReward: { mean: reward.mean, std: reward.std, episodes: reward.episodes, seed: reward.seed },
    agreement,
    decisiveAgreement: heldOut?.decisiveAgreement ?? null,
    decisiveShare: heldOut?.decisiveShare ?? null,
    regret: heldOut?.regret ?? null,
    relativeRegret: heldOut?.relativeRegret ?? null,
    qScale: heldOut?.qScale ?? null,
    temperature: result.temperature,
    stop: { ...result.stop, summary: describeStop(result.stop) },
    rounds: result.rounds,
    stoppedEarly: result.stoppedEarly,
    wallTimeSeconds: Number(result.wallSeconds.toFixed(2)),
    backend,
    ...extra,
    ...provenance(),
  };
  const studentFile = writeStudent(out, spec, config, result, card);
  const goal = p.goal;
  return {
    ...writtenStudent(out, studentFile, card, p, config),
    collect,
    reward: card.evalReward,
    teacherReward: goal,
    ofTeacherReward: goal ? shareOfTeacherGain(reward.mean, goal.mean, p.randomReward) : null,
    randomReward: p.randomReward,
    agreement,
    decisiveAgreement: card.decisiveAgreement,
    relativeRegret: card.relativeRegret,
    rounds: result.rounds.length,
    stoppedEarly: result.stoppedEarly,
    stop: card.stop.reason,
    stopSummary: card.stop.summary,
    wallSeconds: result.wallSeconds,
    backend,
  };
}

/** Writes student.onnx (carrying the card without its per-round history, to keep tiny students tiny) and card.json; returns the student file. */
function writeStudent(out: string, spec: EnvSpec, config: DistillConfig, result: DistillResult, card: { rounds: unknown }): string {
  const outputName = config.loss === 'kl' || config.loss === 'nll' ? 'logits' : 'q_values';
  const studentFile = join(out, 'student.onnx');
  const { rounds: _rounds, ...embeddedCard } = card;
  writeModelFile(studentFile, tfjsToOnnx(result.student, spec, { outputName, producerVersion: TOOL_VERSION, metadata: policyMetadata(spec, embeddedCard, { output: outputName }) }));
  writeJsonAtomic(join(out, 'card.json'), card);
  return studentFile;
}

/** The summary fields of a student written to `out`: where, what it plays, its size and how it was made. */
function writtenStudent(out: string, studentFile: string, card: { student: string; parameters: number; method: StudentSummary['method'] }, p: Prepared, config: DistillConfig) {
  return { out, env: p.spec.id, student: card.student, parameters: card.parameters, bytes: statSync(studentFile).size, teacherParameters: p.teacherParameters, method: card.method, loss: config.loss };
}

/** The labelled states' file name beside a student: dataset.qdb, or dataset.npz with datasetFormat 'npz'. */
export function datasetFileName(o: Pick<DistillOptions, 'datasetFormat'>): string {
  return `dataset.${o.datasetFormat ?? 'qdb'}`;
}

/** The card's teacher: its file, hash and return; for an ensemble also every member's, and the temperatures that weighed them. */
function teacherRecord(p: Prepared): object | null {
  if (!p.teacherFiles.length) return null;
  if (p.teacherFiles.length === 1) return { file: p.teacherFiles[0], hash: fileHash(p.teacherFiles[0]), reward: p.goal };
  const ensemble = p.teacher as TeacherEnsemble;
  return {
    ensemble: p.teacherFiles.map((file, k) => ({ file, hash: fileHash(file), reward: p.memberGoals![k], qScale: ensemble.qScales[k], temperature: ensemble.temperatures[k] })),
    labels: 'log of the mean of softmax(Q_k / τ_k) over the members; τ_k = relative temperature × member k’s Q scale',
    reward: p.goal,
  };
}

/** How the student learnt: from the teacher's outputs, or by behaviour cloning (demonstrations, or a teacher that gives actions only). */
function methodOf(p: Prepared, o: DistillOptions): StudentSummary['method'] {
  if (o.fromDemos) return 'behaviour cloning (demonstrations)';
  return p.actionsOnly ? 'behaviour cloning (the teacher gives actions only)' : 'distillation';
}

export function datasetHeader(p: Prepared, memory: DistillMemory, source: Dataset['header']['source']) {
  return memory.toDataset({
    env: p.spec.id,
    observationShape: p.spec.observationShape,
    actionCount: p.spec.actionCount,
    teacherHash: p.teacherFiles.length ? p.teacherFiles.map(fileHash).join('+') : p.dataset!.header.teacherHash,
    targets: p.dataset?.header.targets ?? p.teacher!.info.output,
    source,
  });
}

/** Training rounds as progress, with the figures a person watches. */
export function roundProgress(onProgress: OnProgress | undefined, rounds: number) {
  const update = progressOf(onProgress, 'distill', rounds);
  const percent = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  return (r: RoundReport) =>
    update(r.round, {
      loss: r.loss.toPrecision(3),
      agreement: percent(r.agreement),
      decisive: percent(r.decisiveAgreement),
      regret: percent(r.relativeRegret),
      return: r.evalMean.toFixed(1),
      // The stop rule's lower bound on student − teacher, against the margin it must clear.
      ...(r.verdict ? { 'Δ≥': r.verdict.lower.toFixed(1), margin: `-${r.verdict.margin.toFixed(1)}` } : {}),
    });
}

/** `qdistill distill`: one student. */
export async function distillToFolder(teacherPath: string | undefined, size: StudentSize, o: DistillOptions): Promise<StudentSummary> {
  return distillTeachers(readTeachers(teacherPath, o), size, o);
}

/**
 * distillToFolder on teacher files already read. The folder is locked from the start and the student's files
 * are staged and moved in together at the end (src/util/output-folder.ts): a failed or killed run leaves none.
 */
export async function distillTeachers(teachers: TeacherFile[], size: StudentSize, o: DistillOptions): Promise<StudentSummary> {
  return writeOutputFolder(o.out, (staged) => distillTeachersInto(teachers, size, o, staged));
}

async function distillTeachersInto(teachers: TeacherFile[], size: StudentSize, o: DistillOptions, staged: StagedFolder): Promise<StudentSummary> {
  if (o.observations) throw new UsageError('observations recorded elsewhere are distilled by distillOffline (`distill --observations FILE`)');
  const groups = byEnvironment(teachers);
  if (groups.length > 1) throw new UsageError(`the teachers play ${groups.map((g) => g[0].env ?? '(no env)').join(', ')}: distillToFolder takes teachers of one environment; distillEnvironments makes one student for several`);
  const p = await prepare(teachers, o, [size]);
  const config = configFor(o, p.spec, size, p.loss, p.teacherFiles.length > 1);
  const choice = await selectBackend(o.backend, p.spec, config);
  p.log(`backend: ${choice.backend} (${choice.reason})`);
  p.log(`distilling ${p.teacherFiles.length > 1 ? `the ensemble of ${p.teacherPath}` : (p.teacherPath ?? o.fromDemos)} into a ${describeStudent(config)} student on ${p.spec.id} (${config.loss}, ${p.dataset ? 'fixed dataset' : `${config.collect} collects`})`);
  const result = await distillStudent({
    envId: p.spec.id,
    teacher: p.dataset ? undefined : p.teacher,
    stop: stopRuleOf(p, config),
    config,
    dataset: p.dataset ? DistillMemory.fromDataset(p.dataset) : undefined,
    qTargets: !p.actionsOnly && !o.fromDemos,
    actorFor: actorsOf(p.teacher),
    onRound: roundProgress(o.onProgress, config.rounds),
  });
  p.log(describeStop(result.stop));
  const collect = o.fromDemos ? 'demonstrations' : p.dataset ? 'dataset' : config.collect;
  const summary = await finishStudent(p, o, config, result, staged.staging, choice.backend, collect);
  writeDataset(staged.path(datasetFileName(o)), datasetHeader(p, result.memory, p.dataset?.header.source ?? config.collect));
  await p.teacher?.dispose();
  return { ...summary, out: o.out };
}

/**
 * `qdistill sweep`: label states once with the teacher, train one student per size on them, write sweep.md and
 * sweep.json. Locked and staged like distillTeachers: every size's folder and the summaries appear together.
 */
export async function sweepToFolder(teacherPath: string, sizes: StudentSize[], o: DistillOptions): Promise<StudentSummary[]> {
  return writeOutputFolder(o.out, (staged) => sweepInto(teacherPath, sizes, o, staged));
}

async function sweepInto(teacherPath: string, sizes: StudentSize[], o: DistillOptions, staged: StagedFolder): Promise<StudentSummary[]> {
  const p = await prepare(readTeachers(teacherPath, o), o, sizes, true);
  const teacher = p.teacher!;
  let memory: DistillMemory;
  if (p.dataset) {
    memory = DistillMemory.fromDataset(p.dataset);
  } else {
    const steps = o.rounds * o.stepsPerRound;
    memory = new DistillMemory(steps, observationSize(p.spec), p.spec.actionCount);
    const env = makeEnv(p.spec.id);
    const rng = new Rng(o.seed);
    const update = progressOf(o.onProgress, 'label', steps);
    const chunk = Math.max(1, Math.floor(steps / 100));
    const collector = { env, teacher, studentActs: () => [], rng, seed: deriveSeed(o.seed, 7), episodes: 0, actorFor: actorsOf(teacher) };
    try {
      for (let done = 0; done < steps; done += chunk) {
        await collectSteps(collector, memory, Math.min(chunk, steps - done), 1);
        update(Math.min(done + chunk, steps));
      }
    } finally {
      env.close?.();
    }
  }
  writeDataset(staged.path(datasetFileName(o)), datasetHeader(p, memory, p.dataset?.header.source ?? 'teacher'));
  const summaries: StudentSummary[] = [];
  for (const size of sizes) {
    const config = configFor(o, p.spec, size, p.loss, p.teacherFiles.length > 1);
    const choice = await selectBackend(o.backend, p.spec, config);
    p.log(`${describeStudent(config)}: backend ${choice.backend}`);
    const result = await distillStudent({ envId: p.spec.id, stop: stopRuleOf(p, config), config, dataset: memory, qTargets: !p.actionsOnly, onRound: roundProgress(o.onProgress, config.rounds) });
    p.log(`${describeStudent(config)}: ${describeStop(result.stop)}`);
    const folder = describeStudent(config);
    summaries.push({ ...(await finishStudent(p, o, config, result, staged.path(folder), choice.backend, 'dataset')), out: staged.finalPath(folder) });
  }
  await teacher.dispose();
  writeJsonAtomic(staged.path('sweep.json'), summaries);
  writeFileAtomic(staged.path('sweep.md'), `# Sweep of ${teacherPath}\n\n\`\`\`\n${studentsTable(summaries)}\n\`\`\`\n`);
  return summaries;
}

/** Options of distill(): the teacher, the student's shape and where to write it; the rest has defaults. */
export interface DistillRequest extends Partial<Omit<DistillOptions, 'out' | 'env'>> {
  /** The teacher: any ONNX Q-network file (ours, PyTorch, SB3, tf2onnx) or a file that gives actions only (cloned by behaviour cloning); leave it out to clone `fromDemos`. */
  teacher?: string;
  /** Environment id, needed when the teacher file has no qdistill.env metadata. */
  env?: string;
  /** Hidden layer sizes of the student, e.g. [16, 16]. */
  student: number[];
  /** MinAtar CNN students: conv filters = 16 × width (default 1). */
  width?: number;
  /** Folder for student.onnx, dataset.qdb and card.json. */
  outDir: string;
  /** Seed of the student's initialization and of the collection (default 1). */
  seed?: number;
}

/** What distill() made: the student file and its figures. */
export interface DistillOutcome extends StudentSummary {
  /** The student as an ONNX policy file (outDir/student.onnx). */
  studentPath: string;
  /** The labelled states (outDir/dataset.qdb, or dataset.npz with datasetFormat 'npz'), reusable as `dataset` in a later run. */
  datasetPath: string;
  /** The student's card (outDir/card.json). */
  cardPath: string;
}

export function withDefaults(o: Partial<DistillOptions> & { out: string; env?: string }): DistillOptions {
  // No default loss here: left out, the stage picks kl, or nll for a teacher that gives actions only.
  const { loss: _loss, ...defaults } = DEFAULT_DISTILL;
  return { ...defaults, finalEpisodes: 100, backend: 'wasm', ...o };
}

/**
 * Distills a teacher into a small student (policy distillation, Rusu et al. 2016): student.onnx, the labelled
 * states (dataset.qdb) and card.json in `outDir`. Returns the student's return, share of the teacher's gain and
 * agreement, measured on the shared evaluation seeds.
 */
export async function distill(request: DistillRequest): Promise<DistillOutcome> {
  const { teacher, student, width, outDir, ...rest } = request;
  const summary = await distillToFolder(teacher, { hidden: student, width: width ?? 1 }, withDefaults({ ...rest, out: outDir }));
  return { ...summary, studentPath: join(outDir, 'student.onnx'), datasetPath: join(outDir, datasetFileName(rest)), cardPath: join(outDir, 'card.json') };
}

/** Options of sweep(): like distill(), with several student sizes trained on labels collected once. */
export interface SweepRequest extends Omit<DistillRequest, 'student' | 'width' | 'teacher'> {
  /** The teacher whose labels every student learns (any ONNX Q-network file). */
  teacher: string;
  /** Student shapes to train, each into a folder of outDir named after it (e.g. '16-16'). */
  sizes: StudentSize[];
}

/** A family of students of one teacher on the same labels: one folder per size, sweep.md and sweep.json in `outDir`. */
export async function sweep(request: SweepRequest): Promise<StudentSummary[]> {
  const { teacher, sizes, outDir, ...rest } = request;
  return sweepToFolder(teacher, sizes, withDefaults({ ...rest, out: outDir }));
}

// ---------------------------------------------------------------------------------------------------------
// Offline distillation: states recorded anywhere (a .npy or .npz), labelled by the teacher, with no
// environment played. It trains on the fixed-dataset path that --dataset and --from-demos take, holds a
// share of the states out of training and reports fidelity on those (agreement, decisive-state agreement, Q
// regret) in place of a return. The environment id — the teacher's qdistill.env or --env — only names the
// observation shape and action count: the student's file carries it, so `qdistill eval` can measure the
// return later where that environment runs.

export { DEFAULT_HELD_OUT_SHARE };

/** The observations of an offline run: a .npy, or an .npz's 'observations', 'obs' or only array; checked against the teacher's spec. */
export interface OfflineObservations {
  /** count × observationSize, float32, in the file's order. */
  observations: Float32Array;
  /** States in the file. */
  count: number;
  /** The .npz member read, or null for a .npy. */
  array: string | null;
}

/**
 * Reads the states of `path` for a teacher of `spec`: shape [N, ...observationShape] (for a flat observation
 * that is [N, size]), any numeric dtype (converted to float32), at least 2 states, every value finite. Anything
 * else is a UsageError naming the file and what is wrong.
 */
export function readOfflineObservations(path: string, spec: EnvSpec): OfflineObservations {
  const { format, arrays } = readArrayFile(path);
  let name = '';
  if (format === 'npz') {
    const names = [...arrays.keys()];
    const chosen = ['observations', 'obs'].find((n) => arrays.has(n)) ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined) throw new UsageError(`the .npz holds the arrays ${names.map((n) => `'${n}'`).join(', ')}; name the states 'observations' or 'obs' (or save them alone)`, path);
    name = chosen;
  }
  const where = format === 'npz' ? `${path}: ${name}` : path;
  const array = arrays.get(name)!;
  if (array.dtype === 'str') throw new UsageError('the states are strings, not numbers', where);
  const shape = array.shape;
  const expected = spec.observationShape;
  const teacherTakes = `the teacher takes ${spec.id ? `${spec.id} ` : ''}observations of shape [${expected.join(', ')}]: give an array shaped (N, ${expected.join(', ')})`;
  if (shape.length !== 1 + expected.length || shape.slice(1).join() !== expected.join()) throw new UsageError(`the states have shape (${shape.join(', ')}), but ${teacherTakes}`, where);
  const count = shape[0];
  if (count < 2) throw new UsageError(`${count} state${count === 1 ? '' : 's'}: offline distillation trains on some states and holds others out, so it needs at least 2`, where);
  const observations = toFloat32(array, where);
  const size = observationSize(spec);
  const bad = observations.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const original = (array.data as ArrayLike<number | bigint>)[bad];
    throw new UsageError(`state ${Math.floor(bad / size)} holds ${original}${Number.isFinite(Number(original)) ? ` (${observations[bad]} as float32)` : ''} at element ${bad % size}: observations must be finite`, where);
  }
  return { observations, count, array: format === 'npz' ? name : null };
}

/**
 * Which states are held out: `max(1, round(share × count))` of them (at most count − 1), drawn without
 * replacement from a stream seeded by `seed`, in increasing order; the rest train. Deterministic: the same
 * count, share and seed give the same split.
 */
export function heldOutSplit(count: number, share: number, seed: number): { train: Int32Array; heldOut: Int32Array } {
  if (!(share > 0 && share < 1)) throw new UsageError(`the held-out share must lie strictly between 0 and 1 (got ${share})`);
  const held = Math.min(count - 1, Math.max(1, Math.round(share * count)));
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const rng = new Rng(deriveSeed(seed, 31));
  // Partial Fisher–Yates: the first `held` places are a uniform sample.
  for (let i = 0; i < held; i++) {
    const j = i + rng.int(count - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const heldOut = order.slice(0, held).sort();
  const isHeld = new Uint8Array(count);
  for (const i of heldOut) isHeld[i] = 1;
  const train = Int32Array.from({ length: count }, (_, i) => i).filter((i) => !isHeld[i]);
  return { train, heldOut };
}

/** How many of the `heldOut` rows are byte for byte equal to some `train` row. */
function countSeen(values: Float32Array, train: Int32Array, heldOut: Int32Array, width: number): number {
  const key = (i: number) => createHash('sha1').update(new Uint8Array(values.buffer, values.byteOffset + i * width * 4, width * 4)).digest('base64');
  const seen = new Set<string>();
  for (const i of train) seen.add(key(i));
  return heldOut.reduce((n, i) => n + (seen.has(key(i)) ? 1 : 0), 0);
}

/** The teacher's outputs on `count` observations, in batches; a NaN or infinite output is a UsageError naming the state. */
async function labelStates(teacher: Policy, observations: Float32Array, count: number, onProgress?: OnProgress): Promise<Float32Array> {
  const size = observationSize(teacher.spec);
  const actions = teacher.spec.actionCount;
  const targets = new Float32Array(count * actions);
  const update = progressOf(onProgress, 'label', count);
  const batch = 1024;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    targets.set(await teacher.qValues(observations.subarray(start * size, (start + n) * size), n), start * actions);
    update(start + n);
  }
  const bad = targets.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`the teacher's output on state ${Math.floor(bad / actions)} is ${targets[bad]}; it cannot be distilled`);
  return targets;
}

/** The student's outputs on `count` observations (batched predictions). */
function studentOutputs(student: tf.LayersModel, observations: Float32Array, count: number, spec: EnvSpec): Float32Array {
  const size = observationSize(spec);
  const out = new Float32Array(count * spec.actionCount);
  for (let start = 0; start < count; start += 1024) {
    const n = Math.min(1024, count - start);
    const values = tf.tidy(() => (student.predict(tf.tensor(observations.subarray(start * size, (start + n) * size), [n, ...spec.observationShape])) as tf.Tensor).dataSync() as Float32Array);
    out.set(values, start * spec.actionCount);
  }
  return out;
}

/** The rows `indices` of a row-major array of rows of `width`. */
function rowsOf(values: Float32Array, indices: Int32Array, width: number): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((i, k) => out.set(values.subarray(i * width, (i + 1) * width), k * width));
  return out;
}

/** Training rounds of an offline run as progress: the figures on its training batches (no return: no episodes are played for it). */
function offlineRoundProgress(onProgress: OnProgress | undefined, rounds: number) {
  const update = progressOf(onProgress, 'distill', rounds);
  const percent = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  return (r: RoundReport) => update(r.round, { loss: r.loss.toPrecision(3), agreement: percent(r.agreement), decisive: percent(r.decisiveAgreement), regret: percent(r.relativeRegret) });
}

/**
 * `qdistill distill --observations FILE`: offline distillation. The teacher labels the states of
 * `o.observations`; `o.heldOutShare` of them (default 0.2, chosen by the seed) are held out; the student trains
 * on the rest — the fixed-dataset path of `--dataset`, for `rounds` × `gradientStepsPerRound` minibatches — and
 * is measured on the held-out ones. Writes student.onnx, card.json (evalReward null, returnMeasured false, the
 * held-out figures) and the training states as dataset.qdb (or .npz). The environment id only names shapes:
 * no return is measured, no stop rule runs, and evalEpisodes, finalEpisodes, collect, stepsPerRound, numEnvs,
 * memorySize and the stop settings are not used.
 */
export async function distillOffline(teacherPath: string | undefined, size: StudentSize, o: DistillOptions): Promise<OfflineStudentSummary> {
  return writeOutputFolder(o.out, (staged) => distillOfflineInto(teacherPath, size, o, staged));
}

async function distillOfflineInto(teacherPath: string | undefined, size: StudentSize, o: DistillOptions, staged: StagedFolder): Promise<OfflineStudentSummary> {
  if (!o.observations) throw new UsageError('distillOffline needs observations (a .npy or .npz of states)');
  if (o.fromDemos || o.dataset) throw new UsageError('--observations, --dataset and --from-demos are alternatives; give one');
  const teachers = readTeachers(teacherPath, o);
  if (teachers.length !== 1) throw new UsageError(teachers.length ? `offline distillation takes one teacher to label the states (got ${teachers.length})` : 'give the teacher.onnx that labels the observations');
  if (o.loss === 'dqn+kl') throw new UsageError('--loss dqn+kl learns from transitions (rewards, next states), which recorded observations do not have; use kl, mse or nll');
  const heldOutShare = o.heldOutShare ?? DEFAULT_HELD_OUT_SHARE;
  const [{ path, loaded, env }] = teachers;
  // Offline an environment only names shapes; with none (a file from elsewhere), the graph gives them.
  const shapes = env ? undefined : specFromGraph(loaded.model, path, { output: o.output });
  const teacher = await openPolicyModel(loaded.bytes, loaded.model, path, { env, spec: shapes, output: o.output, allowFp16: o.allowFp16, onLog: o.onLog });
  try {
    const spec = teacher.spec;
    const log = o.onLog ?? (() => {});
    const actionsOnly = teacher.info.output === 'actions';
    const loss = chooseLoss({ teacher, teacherPath: path, actionsOnly, log }, o);
    const states = readOfflineObservations(o.observations, spec);
    const { train, heldOut } = heldOutSplit(states.count, heldOutShare, o.seed);
    const width = observationSize(spec);
    const actions = spec.actionCount;
    const targets = await labelStates(teacher, states.observations, states.count, o.onProgress);
    const memory = new DistillMemory(train.length, width, actions);
    for (const i of train) {
      const observation = states.observations.subarray(i * width, (i + 1) * width);
      const target = targets.subarray(i * actions, (i + 1) * actions);
      // No transition is known: the next observation is the state itself, the reward 0 (dqn+kl is refused above).
      memory.add(observation, argmax(target), 0, observation, false, target);
    }
    const cardParameters = (teacher.info.card as { parameters?: unknown } | null)?.parameters;
    const p: Prepared = {
      teacher,
      teacherPath: path,
      teacherFiles: [path],
      memberGoals: null,
      teacherParameters: typeof cardParameters === 'number' ? cardParameters : inspectModel(loaded.model).parameters,
      actionsOnly,
      loss,
      spec,
      goal: null,
      randomReward: NaN,
      teacherStopReturns: null,
      log,
    };
    const config = configFor(o, spec, size, loss, false);
    const choice = await selectBackend(o.backend, spec, config);
    log(`backend: ${choice.backend} (${choice.reason})`);
    log(`distilling ${path} offline into a ${describeStudent(config)} student on ${states.count} states of ${o.observations} (${config.loss}; ${heldOut.length} held out; no environment is played)`);
    // No episode is played: no stop rule, and the rounds are judged on their training figures.
    const result = await distillStudent({ envId: spec.id, spec, stop: null, config: { ...config, evalEpisodes: 0 }, dataset: memory, qTargets: !actionsOnly, onRound: offlineRoundProgress(o.onProgress, config.rounds) });
    const heldOutObservations = rowsOf(states.observations, heldOut, width);
    const heldOutTargets = rowsOf(targets, heldOut, actions);
    const outputs = studentOutputs(result.student, heldOutObservations, heldOut.length, spec);
    const f = actionsOnly ? null : fidelity(outputs, heldOutTargets, actions);
    const figures: HeldOutFigures = {
      states: heldOut.length,
      agreement: f?.agreement ?? actionAgreement(outputs, heldOutTargets, actions),
      decisiveAgreement: f?.decisiveAgreement ?? null,
      decisiveShare: f?.decisiveShare ?? null,
      regret: f?.regret ?? null,
      relativeRegret: f?.relativeRegret ?? null,
      qScale: f?.qScale ?? null,
    };
    // Nothing is deduplicated; how many held-out states also occur (exactly) among the training ones is said instead.
    const heldOutAlsoInTraining = countSeen(states.observations, train, heldOut, width);
    const split = { file: o.observations, array: states.array, states: states.count, trainStates: train.length, heldOutStates: heldOut.length, heldOutShare, seed: o.seed, heldOutAlsoInTraining };
    const observations = { ...split, hash: fileHash(o.observations) };
    const card = {
      kind: 'student',
      env: spec.id || null,
      teacher: teacherRecord(p),
      demonstrations: null,
      observations,
      method: methodOf(p, o),
      student: describeStudent(config),
      parameters: result.student.countParams(),
      config,
      evalReward: null,
      returnMeasured: false,
      heldOut: 'the figures below are on the held-out share of the observations, which training never saw; no environment was played, so no return was measured',
      agreement: figures.agreement,
      decisiveAgreement: figures.decisiveAgreement,
      decisiveShare: figures.decisiveShare,
      regret: figures.regret,
      relativeRegret: figures.relativeRegret,
      qScale: figures.qScale,
      temperature: result.temperature,
      stop: { ...result.stop, summary: describeStop(result.stop) },
      // Each round's figures on its training batches; no episode was played.
      rounds: result.rounds.map((r) => ({ ...r, evalMean: null, evalStd: null })),
      stoppedEarly: false,
      wallTimeSeconds: Number(result.wallSeconds.toFixed(2)),
      backend: choice.backend,
      ...provenance(),
    };
    const studentFile = writeStudent(staged.staging, spec, config, result, card);
    writeDataset(staged.path(datasetFileName(o)), datasetHeader(p, result.memory, 'observations'));
    return {
      ...writtenStudent(o.out, studentFile, card, p, config),
      collect: 'observations',
      reward: null,
      teacherReward: null,
      ofTeacherReward: null,
      randomReward: null,
      returnMeasured: false,
      agreement: figures.agreement,
      decisiveAgreement: figures.decisiveAgreement,
      relativeRegret: figures.relativeRegret,
      heldOut: figures,
      observations: split,
      rounds: result.rounds.length,
      stoppedEarly: false,
      stop: result.stop.reason,
      stopSummary: card.stop.summary,
      wallSeconds: result.wallSeconds,
      backend: choice.backend,
    };
  } finally {
    await teacher.dispose();
  }
}

/** Options of distillOfflineStudent(): like distill(), with the observations file in place of an environment. */
export interface OfflineDistillRequest extends Omit<DistillRequest, 'fromDemos' | 'dataset'> {
  /** The teacher that labels the states (any ONNX Q-network; `env` when it carries no qdistill.env). */
  teacher: string;
  /** The states: a .npy of shape [N, ...observationShape], or an .npz whose 'observations' (else 'obs', else only) array is that. */
  observations: string;
}

/** Library form of `distill --observations`: distillOffline with the CLI's defaults; files in `outDir` as distill() writes them. */
export async function distillOfflineStudent(request: OfflineDistillRequest): Promise<OfflineStudentSummary & { studentPath: string; datasetPath: string; cardPath: string }> {
  const { teacher, student, width, outDir, ...rest } = request;
  const summary = await distillOffline(teacher, { hidden: student, width: width ?? 1 }, withDefaults({ ...rest, out: outDir }));
  return { ...summary, studentPath: join(outDir, 'student.onnx'), datasetPath: join(outDir, datasetFileName(rest)), cardPath: join(outDir, 'card.json') };
}
