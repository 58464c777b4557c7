// `compare`: a teacher and its students side by side — return over the same evaluation seeds, action
// agreement with the teacher on states the teacher visits, size (parameters, bytes, MACs), "% of teacher"
// against a uniformly random policy, and latency per runtime (src/bench). Returns and agreement come from
// onnxruntime-node (ort-cpu), the reference runtime; latency from every runtime selected.
import { benchModels, benchSteps, selectRuntimes, type RuntimeSelection } from '../benchmark/index.js';
import type { OnProgress } from '../util/progress.js';
import type { CompareReport, ModelFigures } from './report/types.js';
import { writeReport } from './report/write.js';
import { openPolicyModel, readPolicyBytes } from '../infer/open.js';
import { metadataOf } from '../onnx/graph.js';
import { METADATA_KEYS } from '../policy/metadata.js';
import type { Policy } from '../infer/policy.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import { inspectModel } from '../onnx/inspect.js';
import { decodeModel, type ModelProto } from '../onnx/model.js';
import { evaluatePolicy } from '../rollout/evaluate.js';
import { shareOfTeacherGain } from '../policy/gain.js';
import { commandLine } from '../util/command-line.js';
import { UsageError } from '../util/errors.js';
import { lockFolder } from '../util/output-folder.js';
import { machineDescription } from '../util/machine.js';
import { TOOL_VERSION } from '../util/version.js';
import { shortLabels } from './report/labels.js';
import { visitedStates } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';
import { fidelity } from '../policy/fidelity.js';
import { randomPolicyReward } from '../rollout/random-baseline.js';
import { DEFAULT_EVAL_SEED } from '../rollout/seeds.js';

/** Teacher-visited states the agreement figures are measured on. */
export const AGREEMENT_STATES = 1000;
/** Seed of the episodes those states come from. */
export const AGREEMENT_SEED = 31337;

/** Options of compareModels(): episodes, the runtimes to time and the measurement budget. */
export interface CompareOptions {
  /** Environment id for files without qdistill.env metadata (or to override it). */
  env?: string;
  /** Evaluation episodes per model, on the shared evaluation seeds (compare(): 100). */
  episodes: number;
  /** The runtimes to benchmark, and those skipped with why. */
  selection: RuntimeSelection;
  /** Batch sizes to measure throughput at (compare(): [1, 32, 1024]). */
  batches: number[];
  /** Time budget of each latency measurement, in seconds (compare(): 1). */
  seconds: number;
  /** Settings for every runtime benchmarked; `output` (the graph output holding Q-values) applies to the teacher only, `allowFp16` to every file. */
  runtimeOptions?: RuntimeOptions;
  /** One event per episode and per latency measurement (task 'compare'; `fields.what` names it). */
  onProgress?: OnProgress;
}



interface Opened {
  file: string;
  bytes: Uint8Array;
  model: ModelProto;
  policy: Policy;
}

/** How each file is read: the teacher (index 0) with --output, every file with --allow-fp16. */
function readOptions(o: CompareOptions, index: number): Pick<RuntimeOptions, 'output' | 'allowFp16'> {
  const { output, allowFp16 } = o.runtimeOptions ?? {};
  return { ...(index === 0 && output !== undefined ? { output } : {}), ...(allowFp16 ? { allowFp16 } : {}) };
}

async function openAll(files: string[], o: CompareOptions): Promise<Opened[]> {
  const opened: Opened[] = [];
  try {
    for (const [index, file] of files.entries()) {
      const bytes = readPolicyBytes(file);
      const model = decodeModel(bytes, file);
      // A student without qdistill.env metadata plays the teacher's environment.
      const env = o.env ?? (metadataOf(model)[METADATA_KEYS.env] === undefined ? opened[0]?.policy.spec.id : undefined);
      opened.push({ file, bytes, model, policy: await openPolicyModel(bytes, model, file, { env, runtime: 'ort-cpu', ...readOptions(o, index) }) });
    }
  } catch (error) {
    await Promise.all(opened.map((o) => o.policy.dispose()));
    throw error;
  }
  const envId = opened[0].policy.spec.id;
  const other = opened.find((o) => o.policy.spec.id !== envId);
  if (other) {
    await Promise.all(opened.map((o) => o.policy.dispose()));
    throw new UsageError(`every model must play the teacher's environment ${envId}, but this one plays ${other.policy.spec.id}`, other.file);
  }
  return opened;
}

/** Agreement with the teacher; with a teacher that has Q-values, also on its decisive states and the Q regret. */
function agreementFigures(outputs: Float32Array, teacherOutputs: Float32Array, actionCount: number, qValues: boolean): Pick<ModelFigures, 'agreement' | 'decisiveAgreement' | 'relativeRegret'> {
  if (!qValues) return { agreement: actionAgreement(outputs, teacherOutputs, actionCount), decisiveAgreement: null, relativeRegret: null };
  const f = fidelity(outputs, teacherOutputs, actionCount);
  return { agreement: f.agreement, decisiveAgreement: f.decisiveAgreement, relativeRegret: f.relativeRegret };
}

/** The comparison behind compare() and the demo; every model must play the teacher's environment (else UsageError). */
export async function compareModels(teacherFile: string, studentFiles: string[], o: CompareOptions): Promise<CompareReport> {
  const files = [teacherFile, ...studentFiles];
  const labels = shortLabels(files);
  const opened = await openAll(files, o);
  const teacher = opened[0].policy;
  const spec = teacher.spec;
  const total = files.length * o.episodes + benchSteps(files.length, o.selection.runtimes.length, o.batches);
  let done = 0;
  const progress = (count: number, what: string) => o.onProgress?.({ task: 'compare', done: count, total, fields: { what } });
  const models: ModelFigures[] = [];
  try {
    const states = await visitedStates(teacher, AGREEMENT_STATES, AGREEMENT_SEED);
    for (const [i, { file, bytes, model, policy }] of opened.entries()) {
      const result = await evaluatePolicy(spec.id, (obs) => policy.act(obs), {
        episodes: o.episodes,
        seed: DEFAULT_EVAL_SEED,
        onEpisode: () => progress(++done, `eval ${labels[i]}`),
      });
      const outputs = await policy.qValues(states.observations, AGREEMENT_STATES);
      const summary = inspectModel(model);
      models.push({
        file,
        label: labels[i],
        role: i === 0 ? 'teacher' : 'student',
        bytes: bytes.length,
        parameters: summary.parameters,
        macs: summary.macs,
        reward: {
          mean: result.mean,
          std: result.std,
          min: Math.min(...result.returns),
          max: Math.max(...result.returns),
          episodes: result.episodes,
          seed: result.seed,
          returns: result.returns,
          lengths: result.lengths,
        },
        ofTeacher: null,
        ...agreementFigures(outputs, states.outputs, spec.actionCount, teacher.info.output !== 'actions'),
      });
    }
  } finally {
    await Promise.all(opened.map((x) => x.policy.dispose()));
  }
  const randomReward = await randomPolicyReward(spec.id, o.episodes, spec.actionCount);
  for (const m of models) m.ofTeacher = shareOfTeacherGain(m.reward.mean, models[0].reward.mean, randomReward);
  const latency = await benchModels(files, o.selection, {
    env: spec.id,
    batches: o.batches,
    seconds: o.seconds,
    runtimeOptions: { ...o.runtimeOptions, output: undefined },
    fileOptions: (_file, index) => readOptions(o, index),
    // benchModels counts its own steps (a refused model × runtime skips several at once).
    onProgress: ({ done: benchDone, fields }) => progress(files.length * o.episodes + benchDone, String(fields?.what ?? '')),
  });
  return {
    tool: 'qdistill',
    version: TOOL_VERSION,
    command: commandLine(),
    machine: machineDescription(),
    createdAt: new Date().toISOString(),
    env: spec.id,
    episodes: o.episodes,
    seed: DEFAULT_EVAL_SEED,
    randomReward,
    agreementStates: AGREEMENT_STATES,
    agreementSeed: AGREEMENT_SEED,
    rewardRuntime: 'ort-cpu',
    models,
    latency,
  };
}

/** Options of compare(): like CompareOptions with defaults, plus where to write the report. */
export interface CompareRequest extends Partial<Omit<CompareOptions, 'selection'>> {
  /** Runtimes to benchmark, comma-separated, or 'all' (default: every available one except the browser). */
  runtime?: string;
  /** Folder for report.json, report.md and report.html (none written without it). */
  outDir?: string;
}

/**
 * Teacher and students side by side: return on the same seeds, share of the teacher's gain, action agreement,
 * size, MACs, and latency per runtime; written as report.{json,md,html} when `outDir` is given (their paths in
 * `written`). UsageError when a model plays another environment than the teacher.
 */
export async function compare(teacher: string, students: string[], request: CompareRequest = {}): Promise<CompareReport & { written: string[] }> {
  const { runtime, outDir, ...rest } = request;
  const options = { episodes: 100, batches: [1, 32, 1024], seconds: 1, ...rest, selection: await selectRuntimes(runtime) };
  if (!outDir) return { ...(await compareModels(teacher, students, options)), written: [] };
  return compareIntoFolder(outDir, teacher, students, options);
}

/**
 * compareModels, then the report written into `outDir` as one set. The folder is locked for the whole run, so
 * that a second compare into it is refused at once instead of mixing its files with this one's.
 */
export async function compareIntoFolder(outDir: string, teacher: string, students: string[], o: CompareOptions): Promise<CompareReport & { written: string[] }> {
  const lock = lockFolder(outDir);
  try {
    const report = await compareModels(teacher, students, o);
    return { ...report, written: writeReport(outDir, report) };
  } finally {
    lock.release();
  }
}
