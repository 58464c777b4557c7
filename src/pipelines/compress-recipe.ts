// `qdistill compress`: the whole recipe. Distill students of several sizes (whole budget each), then try
// the passes on the students that keep enough reward — int8 (dynamic, static, weights-only), float16,
// structured pruning — evaluate every candidate on the same seeds and time it, and keep the smallest file
// that holds at least `keep` of the teacher's reward. When the smallest ones are close in size, the fastest
// of them wins: on tiny networks int8 can be slower than float32, and bytes are not everything.
//
// "keep" is measured as the share of the teacher's gain over a uniformly random policy,
// (candidate − random) / (teacher − random), so it means the same for positive and negative returns.
import { DEFAULT_RECIPE_SIZES } from './recipe-defaults.js';
import { DEFAULT_EVAL_SEED } from '../rollout/seeds.js';
import { provenance } from '../policy/card.js';
import { UsageError } from '../util/errors.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describePolicyFile, type PolicyFileInfo } from '../policy/file.js';
import type { EnvSpec } from '../envs/types.js';
import { lockFolder, writeOutputFolder } from '../util/output-folder.js';
import { openPolicyBytes, readPolicyBytes } from '../infer/open.js';
import { distillToFolder, type DistillOptions, type StudentSize, DEFAULT_DISTILL } from '../distill/index.js';

/** The distill stage's defaults without its loss: the stage picks KL, or behaviour cloning for a teacher that gives actions only. */
function distillDefaults(): Omit<typeof DEFAULT_DISTILL, 'loss'> {
  const { loss: _loss, ...rest } = DEFAULT_DISTILL;
  return rest;
}
import { fileHash } from '../policy/dataset.js';
import { inspectModel } from '../onnx/inspect.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import type { PolicyRead } from '../compress/index.js';
import { setMetadata } from '../onnx/graph.js';
import { evaluatePolicy } from '../rollout/evaluate.js';
import { benchPolicyFile, benchStates } from '../benchmark/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { RECIPE_VARIANTS, type Variant } from './recipe-variants.js';
import { shareOfTeacherGain } from '../policy/gain.js';
import { METADATA_KEYS } from '../policy/metadata.js';
import { randomPolicyReward } from '../rollout/random-baseline.js';

/** Options of the compress recipe; compress() fills in the defaults named here. */
export interface RecipeOptions {
  /** Environment id for teacher files without qdistill.env metadata (or to override it). */
  env?: string;
  /** The teacher's graph output holding the Q-values, for teacher files with several outputs (default: q_values, logits, else the first). */
  output?: string;
  /** Accept a float16 teacher (torch's `model.half()` export; default false): it runs with float32 casts at its boundary, for its own figures and for distillation. */
  allowFp16?: boolean;
  /** Least share of the teacher's gain over random the pick must keep, in [0, 1] (compress(): 0.98). */
  keep: number;
  /** Folder for policy.onnx, card.json, students/ and variants/. */
  out: string;
  /** Evaluation episodes per candidate, on the shared evaluation seeds (compress(): 100). */
  episodes: number;
  /** Student shapes to distill (compress(): DEFAULT_RECIPE_SIZES). */
  sizes: StudentSize[];
  /** Seed of every student's distillation (compress(): 1). */
  seed: number;
  /** Seconds of latency measurement per candidate (compress(): 0.5). */
  latencySeconds: number;
  /** Candidates within this factor of the smallest size count as "close": the fastest of them is picked (compress(): 1.1). */
  closeSize: number;
  /** How many of the smallest students that keep enough reward get the passes (compress(): 2). */
  studentsToCompress: number;
  /** Distillation settings for every student (default: the distill stage's, on wasm, with the stop margin at most half of 1 − keep); the recipe sets env, output, allowFp16, seed, out and finalEpisodes. */
  distill: Partial<DistillOptions>;
  /** What the recipe is doing, one line at a time. */
  log: (line: string) => void;
  /** Called with each candidate once it is measured, the teacher first. */
  onCandidate?: (candidate: Candidate) => void;
}

/** One model the recipe measured: the teacher, a student, or a student after passes. */
export interface Candidate {
  /** e.g. 'teacher', 'student 16-16', 'student 16-16 + pruned50 + int8-dynamic'. */
  name: string;
  /** Its file: the teacher's, students/<size>/student.onnx, or one under variants/. */
  file: string;
  /** What was done to the teacher to get here, in order. */
  steps: string[];
  /** Bytes of the file as `compress` would write it (with the short card; see deployableBytes). */
  bytes: number;
  /** Parameters of the file (as inspect counts them). */
  parameters: number;
  /** Multiply-accumulates of one inference at batch 1, or null when unknown. */
  macs: number | null;
  /** Greedy return over `episodes` on the shared evaluation seeds (onnxruntime-node CPU). */
  reward: { mean: number; std: number; episodes: number };
  /** (reward − random) / (teacher − random); 1 when the teacher is no better than random. */
  ofTeacher: number;
  /** ofTeacher ≥ keep. */
  keeps: boolean;
  /** Median single-observation latency in onnxruntime-node (CPU EP, 1 thread), µs. */
  p50Us: number;
  /** Action agreement with the model this one was made from (for a student, the teacher), on states that model visits; null for the teacher. */
  agreementWithParent: number | null;
}

/** What the recipe found: every candidate, the pick and why. */
export interface RecipeResult {
  /** The teacher, measured like the candidates. */
  teacher: Candidate;
  /** Mean return of a uniformly random policy on the same seeds. */
  randomReward: number;
  /** Every candidate in the order measured, the teacher first. */
  candidates: Candidate[];
  /** The chosen candidate as written: `file` is <out>/policy.onnx and `bytes` its size. */
  pick: Candidate;
  /** Why it was picked, in one line. */
  why: string;
  /** The output folder. */
  out: string;
}

/** What every measurement of one recipe run shares. */
interface Context {
  o: RecipeOptions;
  env: string;
  random: number;
  /** null while the teacher itself is measured. */
  teacherMean: number | null;
  teacherHash: string;
}

/** Evaluates and times one candidate; `read` says how to read its file (the teacher's --output, --allow-fp16). */
async function measure(ctx: Context, file: string, steps: string[], name: string, agreementWithParent: number | null, read: PolicyRead = {}): Promise<Candidate> {
  const { o, env, random, teacherMean } = ctx;
  const original = readPolicyBytes(file);
  const policy = await openPolicyBytes(original, file, { env, ...read });
  const reward = await evaluatePolicy(env, (obs) => policy.act(obs), { episodes: o.episodes, seed: DEFAULT_EVAL_SEED });
  await policy.dispose();
  const bytes = deployableBytes(original, file, steps, reward, o, ctx.teacherHash);
  const summary = inspectModel(decodeModel(bytes, file));
  const states = await benchStates(original, file, env, 256, read);
  const latency = await benchPolicyFile(file, 'ort-cpu', { env, batches: [], seconds: o.latencySeconds, states, runtimeOptions: read });
  const teacher = teacherMean ?? reward.mean;
  // A teacher no better than random has no gain to lose: every candidate keeps all of it.
  const ofTeacher = shareOfTeacherGain(reward.mean, teacher, random) ?? 1;
  return {
    name,
    file,
    steps,
    bytes: bytes.length,
    parameters: summary.parameters,
    macs: summary.macs,
    reward: { mean: reward.mean, std: reward.std, episodes: reward.episodes },
    ofTeacher,
    keeps: ofTeacher >= o.keep,
    p50Us: latency.single.p50Us,
    agreementWithParent,
  };
}

/** A candidate must be this much faster to win over a smaller one: timings on shared machines jitter. */
export const MEANINGFULLY_FASTER = 0.9;

/** Smallest file that keeps; among candidates within `closeSize` of it, the fastest if meaningfully faster. */
export function pickCandidate(candidates: Candidate[], closeSize: number): { pick: Candidate; why: string } {
  // Only candidates that keep the reward compete; the teacher always does (it keeps all of its own gain).
  const keeping = candidates.filter((c) => c.keeps).sort((a, b) => a.bytes - b.bytes);
  const smallest = keeping[0];
  if (!smallest) throw new Error('pickCandidate: no candidate keeps the reward (the teacher, which always does, is missing)');
  const close = keeping.filter((c) => c.bytes <= smallest.bytes * closeSize && c.p50Us <= smallest.p50Us * MEANINGFULLY_FASTER);
  const fastest = [smallest, ...close].sort((a, b) => a.p50Us - b.p50Us)[0];
  if (fastest.steps.length === 0) {
    // Only the teacher kept the reward: say so, rather than call the teacher "the smallest file".
    return { pick: fastest, why: `no smaller candidate kept the reward, so policy.onnx is the teacher itself (${fastest.bytes} bytes); try larger --sizes, more --rounds or a lower --keep` };
  }
  const why =
    fastest === smallest
      ? `smallest file that keeps the reward (${smallest.bytes} bytes, p50 ${smallest.p50Us.toFixed(1)} µs)`
      : `within ${Math.round((closeSize - 1) * 100)}% of the size of the smallest (${smallest.name}, ${smallest.bytes} bytes, p50 ${smallest.p50Us.toFixed(1)} µs) and faster: ${fastest.bytes} bytes, p50 ${fastest.p50Us.toFixed(1)} µs`;
  return { pick: fastest, why };
}

async function applyVariant(variant: Variant, parent: Candidate, dir: string, env: string): Promise<{ file: string; agreement: number | null; step: string; skip?: string }> {
  // Named after the candidate (every student's file is student.onnx), e.g. student-8-8.pruned50.int8-dynamic.onnx.
  const file = join(dir, `${parent.name.replace(/ \+ /g, '.').replace(/ /g, '-')}.${variant.name}.onnx`);
  const { result, step, skip } = await variant.apply(parent.file, file, env);
  return { file, agreement: result.comparison?.agreement ?? null, step, skip };
}

/** The compress recipe on `teacherFile` (see the file comment); writes policy.onnx and card.json in `o.out`. */
export async function runRecipe(teacherFile: string, o: RecipeOptions): Promise<RecipeResult> {
  if (!(o.keep >= 0 && o.keep <= 1)) throw new UsageError(`keep must be a share of the teacher's gain between 0 and 1, got ${o.keep}`);
  const read: PolicyRead = { ...(o.output !== undefined ? { output: o.output } : {}), ...(o.allowFp16 ? { allowFp16: true } : {}) };
  const teacherModel = decodeModel(readPolicyBytes(teacherFile), teacherFile);
  const { spec, info } = describePolicyFile(teacherModel, teacherFile, o.env, read);
  // Locked for the whole run: a second compress into this folder is refused at once (one line).
  const lock = lockFolder(o.out);
  try {
    return await recipeIn(teacherFile, spec, info, read, o);
  } finally {
    lock.release();
  }
}

/** The recipe's work, in its locked folder. */
async function recipeIn(teacherFile: string, spec: EnvSpec, info: Pick<PolicyFileInfo, 'float16'>, read: PolicyRead, o: RecipeOptions): Promise<RecipeResult> {
  const env = spec.id;
  if (info.float16) o.log(`the teacher is float16: it runs with float32 casts at its boundary (${teacherFile})`);
  const random = await randomPolicyReward(env, o.episodes, spec.actionCount);
  o.log(`teacher: evaluating ${o.episodes} episodes and timing it`);
  const ctx: Context = { o, env, random, teacherMean: null, teacherHash: fileHash(teacherFile).slice(0, 16) };
  const teacher = await measure(ctx, teacherFile, [], 'teacher', null, read);
  ctx.teacherMean = teacher.reward.mean;
  o.onCandidate?.(teacher);

  // Every size is distilled on its own with the distill stage's defaults. Its paired stop rule judges the
  // student against a margin of the teacher's gain; half of what `keep` allows to lose, so that a student it
  // stops is likely to keep `keep` on the evaluation seeds too.
  const candidates: Candidate[] = [teacher];
  for (const size of o.sizes) {
    o.log(`distilling a ${size.hidden.join('-')} student`);
    const s = await distillToFolder(teacherFile, size, {
      ...distillDefaults(),
      backend: 'wasm',
      stopMargin: Math.min(DEFAULT_DISTILL.stopMargin, (1 - o.keep) / 2),
      ...o.distill,
      env,
      ...read,
      seed: o.seed,
      out: join(o.out, 'students', size.hidden.join('x')),
      finalEpisodes: o.episodes,
    });
    const c = await measure(ctx, join(s.out, 'student.onnx'), [`distill → ${s.student} (${s.loss}, ${s.collect} collects)`], `student ${s.student}`, s.agreement);
    candidates.push(c);
    o.onCandidate?.(c);
  }

  const variantsDir = join(o.out, 'variants');
  mkdirSync(variantsDir, { recursive: true });
  const students = candidates.filter((c) => c.name.startsWith('student') && c.keeps).sort((a, b) => a.bytes - b.bytes).slice(0, o.studentsToCompress);
  if (students.length === 0) o.log(`no student kept ${(100 * o.keep).toFixed(0)}% of the teacher's reward; try larger --sizes or a lower --keep`);
  for (const student of students) {
    // Each variant starts from the student; those marked `chain` also start from every kept result of a
    // variant that `feedsOthers` (pruned students get quantized too).
    const parents: Candidate[] = [student];
    for (const variant of RECIPE_VARIANTS) {
      for (const parent of variant.chain ? [...parents] : [student]) {
        const { file, agreement, step, skip } = await applyVariant(variant, parent, variantsDir, env);
        if (skip) {
          // Not a candidate: the same network as its parent under another name.
          o.log(`${parent.name} + ${variant.name}: ${skip}`);
          continue;
        }
        const c = await measure(ctx, file, [...parent.steps, step], `${parent.name} + ${variant.name}`, agreement);
        candidates.push(c);
        o.onCandidate?.(c);
        if (c.keeps && variant.feedsOthers) parents.push(c);
      }
    }
  }

  const { pick, why } = pickCandidate(candidates, o.closeSize);
  // policy.onnx and card.json move into place together (src/util/output-folder.ts).
  const policyFile = join(o.out, 'policy.onnx');
  const policyBytes = deployableBytes(readPolicyBytes(pick.file), pick.file, pick.steps, pick.reward, o, ctx.teacherHash);
  const result: RecipeResult = { teacher, randomReward: random, candidates, pick: { ...pick, file: policyFile, bytes: policyBytes.byteLength }, why, out: o.out };
  await writeOutputFolder(o.out, (staged) => {
    writeFileAtomic(staged.path('policy.onnx'), policyBytes);
    writeJsonAtomic(staged.path('card.json'), {
    kind: 'compressed',
    env,
    teacher: { file: teacherFile, hash: fileHash(teacherFile), reward: teacher.reward, bytes: teacher.bytes, parameters: teacher.parameters, ...read },
    keep: o.keep,
    keepMeasure: '(reward − random) / (teacher − random) over the same evaluation seeds',
    randomReward: random,
    pick: { from: pick.file, steps: pick.steps, bytes: policyBytes.byteLength, parameters: pick.parameters, reward: pick.reward, ofTeacher: pick.ofTeacher, p50Us: pick.p50Us },
    why,
    candidates,
    evaluation: { episodes: o.episodes, seed: DEFAULT_EVAL_SEED, latency: 'onnxruntime-node CPU EP, 1 thread, p50 of single-observation calls' },
    ...provenance(),
    });
  });
  return result;
}

/**
 * A candidate as `compress` writes it: the metadata's long card (config, machine, command line) and pass history
 * replaced by a short card listing the steps. On a 58-parameter policy the long card outweighs the weights, so
 * candidates are compared on these bytes.
 */
function deployableBytes(bytes: Uint8Array, file: string, steps: string[], reward: Candidate['reward'], o: RecipeOptions, teacherHash: string): Uint8Array {
  if (steps.length === 0) return bytes;
  const model = decodeModel(bytes, file);
  const card = { kind: 'compressed', teacher: teacherHash, steps, keep: o.keep, reward: { mean: Number(reward.mean.toFixed(2)), std: Number(reward.std.toFixed(2)), episodes: reward.episodes } };
  setMetadata(model, { [METADATA_KEYS.card]: JSON.stringify(card), [METADATA_KEYS.passes]: null });
  return encodeModel(model);
}

/** Options of compress(): where to write and what to keep; everything else has the CLI's defaults. */
export type CompressRequest = Partial<Omit<RecipeOptions, 'out' | 'log'>> & {
  /** Folder for policy.onnx, card.json, the students and every variant tried. */
  outDir: string;
  /** What the recipe is doing (distilling which student, which variant). */
  onLog?: (line: string) => void;
};

/**
 * The whole recipe on one teacher: distill students of several sizes, prune and quantize the smallest that
 * keep enough reward, and write the smallest policy that keeps `keep` (default 0.98) of the teacher's gain
 * over random as policy.onnx, with card.json listing every candidate.
 */
export function compress(teacher: string, request: CompressRequest): Promise<RecipeResult> {
  const { outDir, onLog, ...rest } = request;
  return runRecipe(teacher, {
    keep: 0.98,
    episodes: 100,
    sizes: DEFAULT_RECIPE_SIZES,
    seed: 1,
    latencySeconds: 0.5,
    closeSize: 1.1,
    studentsToCompress: 2,
    distill: { collect: 'student' },
    ...rest,
    out: outDir,
    log: onLog ?? (() => {}),
  });
}
