// The compression passes as library functions, file in → file out: each returns the before/after figures
// (bytes, parameters, MACs, and agreement on visited states when the environment is known).
import type { OnProgress } from '../util/progress.js';
import { applyPass, rewardBeforeAfter, type AfterPass, type PassResult, type RewardBeforeAfter } from './apply.js';
import { applyStaticQuantization } from './apply-static.js';
import { DEFAULT_CALIBRATION_STATES } from './calibration-defaults.js';
import type { CalibrationMethod } from './calibration-methods.js';
import { fp16Pass } from './fp16.js';
import { optimizePass } from './optimize.js';
import { prunePass, type PruneOptions } from './prune.js';
import { dynamicQuantizationPass } from './quantize-dynamic.js';
import type { StaticFormat } from './quantize-static.js';
import { weightQuantizationPass } from './quantize-weights.js';

/** Where a pass writes its result, and the environment for files without metadata. */
export interface PassFileOptions {
  /** The file to write; never the input. */
  out: string;
  /** Environment id for files without qdistill.env metadata (enables the agreement and reward checks). */
  env?: string;
  /** Greedy episodes on the same seeds to compare the return before and after (default 20; 0 skips it). */
  episodes?: number;
}

/** A pass's figures with the return before and after (null when skipped or the environment is unknown). */
export interface CheckedPassResult extends PassResult {
  /** The return of input and output on the same seeds, with a warning when the pass lost reward. */
  reward: RewardBeforeAfter | null;
}

/** Runs the reward check on a written pass result when the environment is known and episodes were asked for. */
async function withRewardCheck(result: Promise<PassResult>, o: PassFileOptions): Promise<CheckedPassResult> {
  const passed = await result;
  const episodes = o.episodes ?? 20;
  const reward = passed.comparison && episodes > 0 ? await rewardBeforeAfter(passed.input, passed.out, o.env, episodes) : null;
  return { ...passed, reward };
}

/** Graph clean-ups with the same outputs: MatMul + Add → Gemm, Identity and Dropout dropped, Transposes folded. */
export function optimize(input: string, o: PassFileOptions): Promise<CheckedPassResult> {
  return withRewardCheck(applyPass(optimizePass, input, o.out, {}, o.env), o);
}

/** float16 weights; inputs, outputs and arithmetic stay float32. */
export function fp16(input: string, o: PassFileOptions): Promise<CheckedPassResult> {
  return withRewardCheck(applyPass(fp16Pass, input, o.out, {}, o.env), o);
}

/** Options of prunePolicy(): the pruning, the output, and work on the pruned model before it is written. */
export interface PrunePassOptions extends PassFileOptions, PruneOptions {
  /** Work on the pruned model before it is written (the prune pipeline's fine-tuning). */
  after?: AfterPass;
}

/** Magnitude pruning: the smallest weights zeroed, or (structured) whole hidden units removed. */
export function prunePolicy(input: string, o: PrunePassOptions): Promise<CheckedPassResult> {
  return withRewardCheck(applyPass(prunePass, input, o.out, { sparsity: o.sparsity, structured: o.structured }, o.env, o.after), o);
}

/** Options of quantize(): the mode, the weight scales, and for static mode how to calibrate. */
export interface QuantizeOptions extends PassFileOptions {
  /** static: calibrated activation ranges; dynamic: ranges measured at run time; weights-only: int8 storage, float compute. */
  mode: 'static' | 'dynamic' | 'weights-only';
  /** One weight scale per output channel instead of per tensor (default false). */
  perChannel?: boolean;
  /** static, dynamic: also quantize the layers that read the observation (kept float by default; weights-only does them all). */
  quantizeInputLayer?: boolean;
  /** static: QDQ pairs (default) or QOperator (QLinearMatMul, QLinearConv). */
  format?: StaticFormat;
  /** static: a dataset (.qdb) or an env id to collect calibration states in (default: `env`, else the model's own). */
  calibrate?: string;
  /** static: how observed values become a range (default minmax; entropy keeps actions best on our students). */
  method?: CalibrationMethod;
  /** static, method percentile: share of |x| kept inside the range, in percent (default 99.99). */
  percentile?: number;
  /** static: states to calibrate on (default 1000). */
  calibrationStates?: number;
  /** static: calibration progress. */
  onProgress?: OnProgress;
}

/** int8 quantization of a policy file (see QuantizeOptions); UsageError when `out` is the input. */
export function quantize(input: string, o: QuantizeOptions): Promise<CheckedPassResult> {
  const perChannel = Boolean(o.perChannel);
  const keepInputLayer = !o.quantizeInputLayer;
  if (o.mode === 'weights-only') return withRewardCheck(applyPass(weightQuantizationPass, input, o.out, { perChannel }, o.env), o);
  if (o.mode === 'dynamic') return withRewardCheck(applyPass(dynamicQuantizationPass, input, o.out, { perChannel, keepInputLayer }, o.env), o);
  const states = o.calibrationStates ?? DEFAULT_CALIBRATION_STATES;
  const settings = { method: o.method ?? 'minmax', ...(o.percentile !== undefined ? { percentile: o.percentile } : {}) };
  const request = {
    format: o.format ?? 'qdq',
    perChannel,
    keepInputLayer,
    source: o.calibrate,
    states,
    settings,
    onProgress: o.onProgress,
  };
  return withRewardCheck(applyStaticQuantization(input, o.out, request, o.env), o);
}
