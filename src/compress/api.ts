// The compression passes as library functions, file in → file out: each returns the before/after figures
// (bytes, parameters, MACs, and agreement on visited states when the environment is known).
import type { OnProgress } from '../util/progress.js';
import { applyPass, type AfterPass, type PassResult } from './apply.js';
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
  /** Environment id for files without qdistill.env metadata (enables the agreement check). */
  env?: string;
}

/** Graph clean-ups with the same outputs: MatMul + Add → Gemm, Identity and Dropout dropped, Transposes folded. */
export function optimize(input: string, o: PassFileOptions): Promise<PassResult> {
  return applyPass(optimizePass, input, o.out, {}, o.env);
}

/** float16 weights; inputs, outputs and arithmetic stay float32. */
export function fp16(input: string, o: PassFileOptions): Promise<PassResult> {
  return applyPass(fp16Pass, input, o.out, {}, o.env);
}

/** Options of prunePolicy(): the pruning, the output, and work on the pruned model before it is written. */
export interface PrunePassOptions extends PassFileOptions, PruneOptions {
  /** Work on the pruned model before it is written (the prune pipeline's fine-tuning). */
  after?: AfterPass;
}

/** Magnitude pruning: the smallest weights zeroed, or (structured) whole hidden units removed. */
export function prunePolicy(input: string, o: PrunePassOptions): Promise<PassResult> {
  return applyPass(prunePass, input, o.out, { sparsity: o.sparsity, structured: o.structured }, o.env, o.after);
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
export function quantize(input: string, o: QuantizeOptions): Promise<PassResult> {
  const perChannel = Boolean(o.perChannel);
  const keepInputLayer = !o.quantizeInputLayer;
  if (o.mode === 'weights-only') return applyPass(weightQuantizationPass, input, o.out, { perChannel }, o.env);
  if (o.mode === 'dynamic') return applyPass(dynamicQuantizationPass, input, o.out, { perChannel, keepInputLayer }, o.env);
  const states = o.calibrationStates ?? DEFAULT_CALIBRATION_STATES;
  const settings = { method: o.method ?? 'minmax', ...(o.percentile !== undefined ? { percentile: o.percentile } : {}) };
  const onProgress = o.onProgress;
  const request = {
    format: o.format ?? 'qdq',
    perChannel,
    keepInputLayer,
    source: o.calibrate,
    states,
    settings,
    onProgress: onProgress ? (done: number, total: number) => onProgress({ task: 'calibrating', done, total }) : undefined,
  };
  return applyStaticQuantization(input, o.out, request, o.env);
}
