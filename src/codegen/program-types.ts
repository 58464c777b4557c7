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

/** output[r] = activation(bias[r] + Σ_c weights[r, c] · input[c]). */
export interface DenseStep extends StepBase {
  kind: 'dense';
  weights: WeightMatrix;
  bias: Float32Array | null;
  activation: Activation | null;
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

export type Step = DenseStep | Conv2dStep | GatherStep | ActivationStep | AddConstantStep | DuelingStep | ConstantOpStep | BinaryStep | MeanStep | PReluStep | LayerNormStep;

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
