// The quantize command's choices and defaults, apart from the passes so that `--help` loads none of them.
export { CALIBRATION_METHODS, DEFAULT_PERCENTILE, type CalibrationMethod } from './calibration-methods.js';
export { STATIC_FORMATS, type StaticFormat } from './static-plan.js';

/** States a static quantization is calibrated on unless told otherwise. */
export const DEFAULT_CALIBRATION_STATES = 1000;

/** `--keep-float auto`: least action agreement with the float model the int8 layers together must keep. */
export const DEFAULT_MIN_AGREEMENT = 0.99;
