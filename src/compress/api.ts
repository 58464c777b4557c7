// The compression passes as library functions, file in → file out: each returns the before/after figures
// (bytes, parameters, MACs, and agreement on visited states when the environment is known).
import type { OnProgress } from '../util/progress.js';
import { applyPass, rewardBeforeAfter, type AfterPass, type PassResult, type RewardBeforeAfter } from './apply.js';
import type { CalibrationMethod } from './calibration-methods.js';
import { fp16Pass } from './fp16.js';
import { optimizePass } from './optimize.js';
import type { PolicyRead } from './pass-input.js';
import { prunePass, type PruneOptions } from './prune.js';
import { quantizeFile, type Int8Result, type KeepFloat } from './quantize-file.js';
import type { StaticFormat } from './quantize-static.js';
import type { LayerSearchReport } from './layer-search.js';

/** Where a pass writes its result, the environment for files without metadata, and how to read the input. */
export interface PassFileOptions {
  /** The file to write; never the input. */
  out: string;
  /** Environment id for files without qdistill.env metadata (enables the agreement and reward checks). */
  env?: string;
  /** Greedy episodes on the same seeds to compare the return before and after (default 20; 0 skips it). */
  episodes?: number;
  /** The graph output holding the Q-values, for files with several outputs: what the before/after checks compare (default: q_values, logits, else the first). */
  output?: string;
  /**
   * Accept a float16 file (torch's `model.half()` export): the pass runs on its float32 widening, so the output
   * takes and gives float32; the checks compare it with the float16 file itself. Without it such a file is a
   * UsageError (default false).
   */
  allowFp16?: boolean;
}

/** A pass's figures with the return before and after (null when skipped or the environment is unknown). */
export interface CheckedPassResult extends PassResult {
  /** The return of input and output on the same seeds, with a warning when the pass lost reward. */
  reward: RewardBeforeAfter | null;
}

/** The read options of PassFileOptions, as the passes and checks take them. */
function readOf(o: PassFileOptions): PolicyRead {
  return { ...(o.output !== undefined ? { output: o.output } : {}), ...(o.allowFp16 ? { allowFp16: true } : {}) };
}

/** Runs the reward check on a written pass result when the environment is known and episodes were asked for. */
async function withRewardCheck<R extends PassResult>(result: Promise<R>, o: PassFileOptions): Promise<R & { reward: RewardBeforeAfter | null }> {
  const passed = await result;
  const episodes = o.episodes ?? 20;
  const reward = passed.comparison && episodes > 0 ? await rewardBeforeAfter(passed.input, passed.out, o.env, episodes, readOf(o)) : null;
  return { ...passed, reward };
}

/** Graph clean-ups with the same outputs: MatMul + Add → Gemm, Identity and Dropout dropped, Transposes folded. */
export function optimize(input: string, o: PassFileOptions): Promise<CheckedPassResult> {
  return withRewardCheck(applyPass(optimizePass, input, o.out, {}, o.env, undefined, readOf(o)), o);
}

/** float16 weights; inputs, outputs and arithmetic stay float32 (a float16 file is widened first, then converted again). */
export function fp16(input: string, o: PassFileOptions): Promise<CheckedPassResult> {
  return withRewardCheck(applyPass(fp16Pass, input, o.out, {}, o.env, undefined, readOf(o)), o);
}

/** Options of prunePolicy(): the pruning, the output, and work on the pruned model before it is written. */
export interface PrunePassOptions extends PassFileOptions, PruneOptions {
  /** Work on the pruned model before it is written (the prune pipeline's fine-tuning). */
  after?: AfterPass;
}

/** Magnitude pruning: the smallest weights zeroed, or (structured) whole hidden units removed. */
export function prunePolicy(input: string, o: PrunePassOptions): Promise<CheckedPassResult> {
  return withRewardCheck(applyPass(prunePass, input, o.out, { sparsity: o.sparsity, structured: o.structured }, o.env, o.after, readOf(o)), o);
}

/** Options of quantize(): the mode, the weight scales, the layers kept float, and where states come from. */
export interface QuantizeOptions extends PassFileOptions {
  /** static: calibrated activation ranges; dynamic: ranges measured at run time; weights-only: int8 storage, float compute. */
  mode: 'static' | 'dynamic' | 'weights-only';
  /** One weight scale per output channel instead of per tensor (default false; not with keepFloat 'auto', which chooses per layer). */
  perChannel?: boolean;
  /** static, dynamic: also quantize the layers that read the observation (kept float by default, and not tried by keepFloat 'auto'; weights-only does them all). */
  quantizeInputLayer?: boolean;
  /**
   * Layers left float32. 'auto': the mixed-precision search — each MatMul/Gemm/Conv quantized alone on the
   * calibration states (per tensor and per channel, the better kept), then layers added from the least to the
   * most harmful while the action agreement with the float model stays ≥ minAgreement. A list: node names (an
   * unnamed node's output name). Default: none (every layer the pass can rewrite is quantized).
   */
  keepFloat?: KeepFloat;
  /** keepFloat 'auto': least action agreement with the float model on the calibration states, in [0, 1] (default 0.99). */
  minAgreement?: number;
  /** static: QDQ pairs (default) or QOperator (QLinearMatMul, QLinearConv). */
  format?: StaticFormat;
  /** static, keepFloat 'auto': a dataset (.qdb) or an env id to take states in (default: `env`, else the model's own). */
  calibrate?: string;
  /** static: how observed values become a range (default minmax; entropy keeps actions best on our students). */
  method?: CalibrationMethod;
  /** static, method percentile: share of |x| kept inside the range, in percent (default 99.99). */
  percentile?: number;
  /** static, keepFloat 'auto': states to calibrate and search on (default 1000). */
  calibrationStates?: number;
  /** Calibration and layer-search progress. */
  onProgress?: OnProgress;
}

/** quantize()'s result: the pass's figures, the reward check, and the layer search when keepFloat was 'auto'. */
export interface QuantizeResult extends CheckedPassResult {
  /** The mixed-precision search (keepFloat 'auto'): every layer, which stayed float32 and why, the agreement; else null. */
  search: LayerSearchReport | null;
}

/** int8 quantization of a policy file (see QuantizeOptions); UsageError when `out` is the input. */
export function quantize(input: string, o: QuantizeOptions): Promise<QuantizeResult> {
  const settings = { method: o.method ?? 'minmax', ...(o.percentile !== undefined ? { percentile: o.percentile } : {}) };
  const result: Promise<Int8Result> = quantizeFile(
    input,
    o.out,
    {
      mode: o.mode,
      perChannel: Boolean(o.perChannel),
      keepInputLayer: !o.quantizeInputLayer,
      keepFloat: o.keepFloat,
      minAgreement: o.minAgreement,
      format: o.format,
      settings,
      source: o.calibrate,
      states: o.calibrationStates,
      onProgress: o.onProgress,
    },
    o.env,
    readOf(o),
  );
  return withRewardCheck(result, o);
}
