// The compress stage: an ONNX policy in, a smaller one out, one graph pass at a time.
export { optimize, fp16, prunePolicy, quantize, type CheckedPassResult, type PassFileOptions, type PrunePassOptions, type QuantizeOptions } from './api.js';
export { applyPass, rewardBeforeAfter, LOSS_WARNING_SHARE, type AfterPass, type PassResult, type RewardBeforeAfter, type SizeFigures } from './apply.js';
export { applyStaticQuantization } from './apply-static.js';
export { runPass, type Pass, type PassReport } from './pass.js';
export { fp16Pass } from './fp16.js';
export { optimizePass } from './optimize.js';
export { prunePass, type PruneOptions } from './prune.js';
export { dynamicQuantizationPass } from './quantize-dynamic.js';
export { weightQuantizationPass } from './quantize-weights.js';
export { compareOnEnvStates, type OutputComparison } from './compare.js';
export { CALIBRATION_METHODS, DEFAULT_PERCENTILE, type CalibrationMethod } from './calibration-methods.js';
export { DEFAULT_CALIBRATION_STATES } from './calibration-defaults.js';
export { STATIC_FORMATS, type StaticFormat } from './quantize-static.js';
export { weightAsKN } from './matrix.js';
export type { StaticQuantRequest } from './apply-static.js';
