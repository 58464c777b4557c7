// One pass from file to file: read (validated), rewrite a copy, write atomically to a new path (never the
// input), and measure before/after — bytes, parameters, multiply-accumulates, and how close the outputs stay.
import { resolve } from 'node:path';
import { inspectModel } from '../onnx/inspect.js';
import { encodeModel, type ModelProto } from '../onnx/model.js';
import { prepareOutputFile, writeFileAtomic } from '../util/atomic-write.js';
import { openPolicy } from '../infer/open.js';
import { evaluatePolicy } from '../rollout/evaluate.js';
import { UsageError } from '../util/errors.js';
import { compareOnEnvStates, type OutputComparison } from './compare.js';
import { runPass, type Pass, type PassReport } from './pass.js';
import { readPassInput, type PassInput, type PolicyRead } from './pass-input.js';
import { shareOfTeacherGain } from '../policy/gain.js';
import { randomPolicyReward } from '../rollout/random-baseline.js';
import { DEFAULT_EVAL_SEED } from '../rollout/seeds.js';

/** A model's size: file bytes, parameters and multiply-accumulates. */
export interface SizeFigures {
  /** File size in bytes. */
  bytes: number;
  /** Elements of the float and integer initializers and constants (as ModelSummary counts them). */
  parameters: number;
  /** Multiply-accumulates of one inference at batch 1; null when some shape could not be inferred. */
  macs: number | null;
}

/** What a pass wrote, its report, and the input's and output's figures. */
export interface PassResult {
  /** The input file. */
  input: string;
  /** The file written. */
  out: string;
  /** What the pass changed and what it left alone. */
  report: PassReport;
  /** One line per way the input was read before the pass ran (a float16 file widened to float32); empty for most files. */
  inputNotes: string[];
  /** The input's size. */
  before: SizeFigures;
  /** The output's size. */
  after: SizeFigures;
  /** null when the model names no environment and none was given. */
  comparison: OutputComparison | null;
}

/** Work on the pass's output before it is written (finetuning after pruning); gets the input file's path. */
export type AfterPass = (output: ModelProto, input: string) => Promise<ModelProto>;

/**
 * Runs `pass` on the file `input` and writes the result to `out` (never the input). `read` says which output
 * holds the Q-values and whether a float16 file is accepted (it is widened to float32 first).
 */
export async function applyPass<O>(pass: Pass<O>, input: string, out: string, options: O, env?: string, after?: AfterPass, read: PolicyRead = {}): Promise<PassResult> {
  checkOutput(input, out);
  return applyPassToInput(pass, readPassInput(input, pass.name, env, read), out, options, after);
}

/** Passes never modify their input, and write a file: writing over the input, or to a folder or an empty name, is refused before any work. */
export function checkOutput(input: string, out: string): void {
  prepareOutputFile(out);
  if (resolve(input) === resolve(out)) throw new UsageError('--out must differ from the input: passes never modify their input', out);
}

/**
 * applyPass on an input its caller has already read and checked (readPassInput). Everything that can fail runs
 * before the file is written — the pass, its validation, the figures and the comparison, which runs both
 * models from memory — so a failed pass leaves no output file (the write itself is atomic).
 */
export async function applyPassToInput<O>(pass: Pass<O>, input: PassInput, out: string, options: O, after?: AfterPass): Promise<PassResult> {
  const { original, model: view } = input;
  const { model: passed, report } = runPass(pass, view.model, options); // runPass validates what it returns
  const result = after ? await after(passed, original.where) : passed;
  const resultBytes = encodeModel(result);
  const figures = (m: ModelProto, size: number): SizeFigures => {
    const s = inspectModel(m);
    return { bytes: size, parameters: s.parameters, macs: s.macs };
  };
  const before = figures(original.model, original.bytes.length);
  const afterFigures = figures(result, resultBytes.length);
  const comparison = input.hasEnv ? await compareOnEnvStates(original, { where: `${pass.name} output`, bytes: resultBytes, model: result }, input.env, undefined, undefined, input.read) : null;
  writeFileAtomic(out, resultBytes);
  return { input: original.where, out, report, inputNotes: input.notes, before, after: afterFigures, comparison };
}

/** A return drop larger than this share of the input's gain over a random policy is reported as a warning. */
export const LOSS_WARNING_SHARE = 0.05;

/** Greedy return of a pass's input and output over the same evaluation seeds, and whether the pass lost reward. */
export interface RewardBeforeAfter {
  /** Episodes each file played (the same seeds for both). */
  episodes: number;
  /** Evaluation seed: episode i starts from deriveSeed(seed, i). */
  seed: number;
  /** The input's return. */
  before: { mean: number; std: number };
  /** The output's return. */
  after: { mean: number; std: number };
  /** A uniformly random policy's return on the same seeds: the zero of "gain". */
  random: number;
  /** Share of the input's gain over random that the output lost (negative: it gained); null when the input is no better than random. */
  lostShare: number | null;
  /** One line when the output lost more than LOSS_WARNING_SHARE of the input's gain over random, else null. */
  warning: string | null;
}

/**
 * Greedy return of the input and the output file over the same evaluation seeds (onnxruntime-node CPU), with the
 * loss warning. Both files are opened with `read` (the output holding the Q-values, float16 accepted), so the
 * input is the user's own file even when the pass ran on its float32 widening.
 */
export async function rewardBeforeAfter(input: string, out: string, env: string | undefined, episodes: number, read: PolicyRead = {}): Promise<RewardBeforeAfter> {
  let actionCount = 0;
  let envId = '';
  const play = async (file: string) => {
    const policy = await openPolicy(file, { env, output: read.output, allowFp16: read.allowFp16 });
    try {
      ({ id: envId, actionCount } = policy.spec);
      const r = await evaluatePolicy(policy.spec.id, (o) => policy.act(o), { episodes, seed: DEFAULT_EVAL_SEED });
      return { mean: r.mean, std: r.std };
    } finally {
      await policy.dispose();
    }
  };
  const before = await play(input);
  const after = await play(out);
  const random = await randomPolicyReward(envId, episodes, actionCount);
  const kept = shareOfTeacherGain(after.mean, before.mean, random);
  const lostShare = kept === null ? null : 1 - kept;
  const show = (r: { mean: number; std: number }) => `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`;
  const warning =
    lostShare !== null && lostShare > LOSS_WARNING_SHARE
      ? `the return fell from ${show(before)} to ${show(after)} over ${episodes} episodes: ${(100 * lostShare).toFixed(1)}% of the input's gain over a random policy (${random.toFixed(1)}) is lost`
      : null;
  return { episodes, seed: DEFAULT_EVAL_SEED, before, after, random, lostShare, warning };
}
