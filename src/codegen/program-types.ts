// The program the code generators share: typed steps over float32 buffers, weights as constants.

/** Number format of the weights in generated code: float32, or int8 values with float scales (buffers stay float32). */
export type WeightFormat = 'float32' | 'int8';

export type Activation =
  | { kind: 'relu' }
  | { kind: 'leaky-relu'; alpha: number }
  | { kind: 'elu'; alpha: number }
  | { kind: 'selu'; alpha: number; gamma: number }
  | { kind: 'tanh' }
  | { kind: 'sigmoid' }
  | { kind: 'softplus' }
  | { kind: 'erf' }
  | { kind: 'hard-sigmoid'; alpha: number; beta: number }
  | { kind: 'hard-swish' }
  | { kind: 'abs' }
  | { kind: 'softsign' }
  | { kind: 'clip'; min: number; max: number };

/** Row-major [rows, columns]: one row per output unit (dense) or output channel (conv). */
export interface WeightMatrix {
  rows: number;
  columns: number;
  values: Float32Array;
  /** int8 values with one scale per row (or one for all): set when the program uses int8 weights. */
  int8: { q: Int8Array; scales: Float32Array } | null;
}

export interface StepBase {
  /** The ONNX node this step came from (for comments in the generated code). */
  node: string;
  input: number;
  output: number;
}

/** The 8-bit type of quantized activations (weights are always held as int8: see IntegerWeights). */
export type Int8Type = 'uint8' | 'int8';

/**
 * How an integer step's float input becomes 8-bit codes x_q, as the ONNX operators define it (round half to
 * even, then saturation to the type's range):
 * - `static` (QuantizeLinear with constant scale and zero point): x_q = saturate(roundHalfEven(x / scale) + zeroPoint).
 * - `dynamic` (DynamicQuantizeLinear, uint8, once per call over all the step's input values, as onnxruntime
 *   computes it in float32): lo = min(0, min x), hi = max(0, max x), scale = (hi − lo) / 255 (1 when hi = lo),
 *   zeroPoint = roundHalfEven(clamp(0 − lo / scale, 0, 255)), x_q = saturate(roundHalfEven(x / scale) + zeroPoint).
 *   Each observation is quantized on its own (what onnxruntime computes for a batch of one).
 */
export type InputQuantization = ({ kind: 'static' } & StaticQuantization) | { kind: 'dynamic' };

/** A constant (per-tensor) quantization: real = (q − zeroPoint) × scale. */
export interface StaticQuantization {
  scale: number;
  zeroPoint: number;
  type: Int8Type;
}

/**
 * int8 weights of an integer step, row-major [rows, columns] like WeightMatrix (row = output unit or channel).
 * uint8 weights are stored shifted by −128 together with their zero points, which leaves every
 * w − zeroPoint (all the arithmetic uses) unchanged.
 */
export interface IntegerWeights {
  q: Int8Array;
  /**
   * Weight scale per row, or one for every row. The arithmetic reads it only for a dynamic input's rescale;
   * where the file gives only the product input × weight scale (MatMulInteger rescaled by a constant), it is
   * that product over the input scale.
   */
  scales: Float32Array;
  /** Weight zero point per row, or one for every row (in [−128, 127]). */
  zeroPoints: Int32Array;
}

/**
 * How the int32 sum leaves the integer domain; the step's float output is this value (then the step's float
 * bias and activation, if any, as for a float step).
 * - `requantize` (QLinearMatMul / QLinearConv followed by DequantizeLinear at the same scale and zero point):
 *   y_q = saturate(roundHalfEven(float32(sum) × multipliers[r]) + zeroPoint), output (y_q − zeroPoint) × scale;
 *   multipliers[r] = float32(float32(input scale × weight scale[r]) / scale), the order onnxruntime computes it.
 *   Static input only.
 * - `rescale` (MatMulInteger / ConvInteger → Cast → Mul, and the float op of a QDQ group): output
 *   float32(float32(sum) × factor[r]). `factors` holds constant float32 factors (the file's Mul constant, or
 *   float32(input scale × weight scale) for QDQ); null for the dynamic form, where the factor is
 *   float32(the call's input scale × weights.scales[r]), as the file's Mul(a_scale, w_scale) computes it.
 */
export type ProductOutput =
  | { kind: 'requantize'; scale: number; zeroPoint: number; type: Int8Type; multipliers: Float32Array }
  | { kind: 'rescale'; factors: Float32Array | null };

/**
 * A dense or conv step computed on 8-bit integers (quantize's static QDQ and QOperator forms and its dynamic
 * form, and the same ops from onnxruntime's quantizer): the input quantized to x_q, then per output r
 *   sum[r] = Σ_c (x_q[c] − x_zp) · (w_q[r, c] − w_zp[r]) + bias[r]      (int32, exact)
 * then `output`. One value per row of `scales`, `zeroPoints`, `bias` and the output's arrays, or one for all.
 */
export interface IntegerProduct {
  input: InputQuantization;
  weights: IntegerWeights;
  /** int32 values added to the sum at scale input × weight (QLinearConv's B, a QDQ int32 bias), or null. */
  bias: Int32Array | null;
  output: ProductOutput;
}

/**
 * output[r] = activation(bias[r] + Σ_c weights[r, c] · input[c]); with `integer`, the sum is the
 * IntegerProduct's float output instead (weights.values then holds the dequantized weights, for reference).
 */
export interface DenseStep extends StepBase {
  kind: 'dense';
  weights: WeightMatrix;
  bias: Float32Array | null;
  activation: Activation | null;
  /** Set when the product is computed on 8-bit integers (an int8 graph); null for float (or weights-only int8) steps. */
  integer: IntegerProduct | null;
}

/** ONNX Conv on one CHW image; weights rows are output channels, columns (inChannels / group) × kh × kw. */
export interface Conv2dStep extends StepBase {
  kind: 'conv2d';
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  group: number;
  weights: WeightMatrix;
  bias: Float32Array | null;
  activation: Activation | null;
  /** As DenseStep.integer; zero-point padding (x_q = x_zp) contributes nothing to the sum. */
  integer: IntegerProduct | null;
}

/** output[i] = input[indices[i]]: transposes (and layout changes) as index maps. */
export interface GatherStep extends StepBase {
  kind: 'gather';
  indices: Int32Array;
}

export interface ActivationStep extends StepBase {
  kind: 'activation';
  size: number;
  activation: Activation;
}

/** output = input + constant (the constant already broadcast to the buffer's size). */
export interface AddConstantStep extends StepBase {
  kind: 'add-constant';
  constant: Float32Array;
}

/** Q = V + A − mean(A) (Wang et al. 2016): `input` is the advantage buffer, `value` holds V. */
export interface DuelingStep extends StepBase {
  kind: 'dueling';
  value: number;
  actions: number;
}

/** output = input × constant or input ÷ constant (the constant already broadcast to the buffer's size). */
export interface ConstantOpStep extends StepBase {
  kind: 'constant-op';
  op: 'mul' | 'div';
  constant: Float32Array;
}

/** output[o] = input[o] op other[o] over `size` values; an operand of size 1 is broadcast to all of them. */
export interface BinaryStep extends StepBase {
  kind: 'binary';
  op: 'add' | 'sub' | 'mul' | 'div';
  other: number;
  size: number;
  /** Whether input / other hold one value (broadcast) rather than `size`. */
  inputScalar: boolean;
  otherScalar: boolean;
}

/** output[0] = mean of the `size` input values (ReduceMean over the actions, keepdims). */
export interface MeanStep extends StepBase {
  kind: 'mean';
  size: number;
}

/** ONNX PRelu: output[o] = input[o] < 0 ? slope[o] · input[o] : input[o] (slope broadcast to the buffer's size). */
export interface PReluStep extends StepBase {
  kind: 'prelu';
  slope: Float32Array;
}

/**
 * ONNX LayerNormalization over `groups` consecutive runs of `groupSize` values:
 * y = (x − mean) / sqrt(var + epsilon) · scale + bias, mean and (biased) var over each run.
 */
export interface LayerNormStep extends StepBase {
  kind: 'layer-norm';
  groups: number;
  groupSize: number;
  epsilon: number;
  scale: Float32Array;
  bias: Float32Array | null;
}

/**
 * ONNX QuantizeLinear then DequantizeLinear at the same (per-tensor) scale and zero point, where a float op
 * reads the result: output = (saturate(roundHalfEven(input / scale) + zeroPoint) − zeroPoint) × scale.
 */
export interface QuantizeStep extends StepBase {
  kind: 'quantize';
  size: number;
  scale: number;
  zeroPoint: number;
  type: Int8Type;
}

export type Step = DenseStep | Conv2dStep | GatherStep | ActivationStep | AddConstantStep | DuelingStep | ConstantOpStep | BinaryStep | MeanStep | PReluStep | LayerNormStep | QuantizeStep;

export interface Program {
  env: string;
  /** Observations are taken in the env's native layout (HWC for images), whatever the file's layout. */
  observationShape: number[];
  observationSize: number;
  actionCount: number;
  output: 'q_values' | 'logits';
  fileLayout: 'native' | 'nchw';
  weights: WeightFormat;
  source: { file: string; sha256: string };
  /** How the file was adapted before lowering (its ArgMax output read as Q-values, float16 widened, …), one line each; empty for our own files. */
  notes: string[];
  /** Float32 buffer sizes; buffer 0 holds the observation. */
  buffers: number[];
  steps: Step[];
  /** The buffer holding the outputs (actionCount values). */
  result: number;
}
