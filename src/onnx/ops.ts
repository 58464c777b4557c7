// The operators qdistill accepts (default ONNX domain) and what is known about each: the arity and
// attribute types validate.ts checks, and the kind of computation, from which inspect.ts counts
// multiply-accumulates, shapes.ts infers and checks shapes (every op listed here has a rule there), and
// the optimize pass and the code generators treat Identity and Dropout alike. The set is what our
// exporters write and what PyTorch and tf2onnx write for MLPs and small CNNs, plus the quantized forms our
// passes produce.

export type AttrKind = 'int' | 'ints' | 'float' | 'floats' | 'string' | 'strings' | 'tensor';

/**
 * gemm, matmul, convolution: multiply-accumulates against the input at `weightInput`. pooling: a sliding
 * window without weights. same-shape: the output has input 0's shape. broadcast: elementwise over all
 * inputs broadcast together. pass-through: input 0 unchanged at inference.
 */
type OpKind = 'gemm' | 'matmul' | 'convolution' | 'pooling' | 'same-shape' | 'broadcast' | 'pass-through';

export interface OpFacts {
  /** Fewest and most inputs (optional inputs count when listed, even as ''). */
  inputs: [number, number];
  /** Fewest and most outputs; one when absent. */
  outputs?: [number, number];
  /** Types of the attributes we read; other attributes are left alone. */
  attrs?: Record<string, AttrKind>;
  kind?: OpKind;
  /** gemm, matmul, convolution: the input holding B or W. */
  weightInput?: number;
  /** The first default-domain opset that defines the op, when later than 1 (a model importing an older opset cannot use it). */
  since?: number;
}

const CONV_ATTRS: Record<string, AttrKind> = {
  auto_pad: 'string',
  dilations: 'ints',
  group: 'int',
  kernel_shape: 'ints',
  pads: 'ints',
  strides: 'ints',
};
const POOL_ATTRS: Record<string, AttrKind> = {
  auto_pad: 'string',
  ceil_mode: 'int',
  dilations: 'ints',
  kernel_shape: 'ints',
  pads: 'ints',
  strides: 'ints',
};
const REDUCE: OpFacts = { inputs: [1, 2], attrs: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' } };

const OPS: Record<string, OpFacts> = {
  Gemm: { inputs: [2, 3], attrs: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' }, kind: 'gemm', weightInput: 1 },
  MatMul: { inputs: [2, 2], kind: 'matmul', weightInput: 1 },
  Add: { inputs: [2, 2], kind: 'broadcast' },
  Sub: { inputs: [2, 2], kind: 'broadcast' },
  Mul: { inputs: [2, 2], kind: 'broadcast' },
  Div: { inputs: [2, 2], kind: 'broadcast' },
  Pow: { inputs: [2, 2], kind: 'broadcast' },
  Relu: { inputs: [1, 1], kind: 'same-shape' },
  LeakyRelu: { inputs: [1, 1], attrs: { alpha: 'float' }, kind: 'same-shape' },
  Elu: { inputs: [1, 1], attrs: { alpha: 'float' }, kind: 'same-shape' },
  Tanh: { inputs: [1, 1], kind: 'same-shape' },
  Sigmoid: { inputs: [1, 1], kind: 'same-shape' },
  Softmax: { inputs: [1, 1], attrs: { axis: 'int' }, kind: 'same-shape' },
  LogSoftmax: { inputs: [1, 1], attrs: { axis: 'int' }, kind: 'same-shape' },
  Neg: { inputs: [1, 1], kind: 'same-shape' },
  Sqrt: { inputs: [1, 1], kind: 'same-shape' },
  Exp: { inputs: [1, 1], kind: 'same-shape' },
  // Selu defaults alpha 1.67326…, gamma 1.0507…; Softplus is log(exp(x) + 1); Erf is the Gauss error function.
  Selu: { inputs: [1, 1], attrs: { alpha: 'float', gamma: 'float' }, kind: 'same-shape' },
  Softplus: { inputs: [1, 1], kind: 'same-shape' },
  // PyTorch's Hardsigmoid / Hardswish (HardSwish from opset 14; before it torch writes x · HardSigmoid(x)) and
  // Softsign (torch writes x / (1 + |x|) with Abs). Mish comes as x · tanh(softplus(x)) from torch's exporter.
  HardSigmoid: { inputs: [1, 1], attrs: { alpha: 'float', beta: 'float' }, kind: 'same-shape' },
  HardSwish: { inputs: [1, 1], kind: 'same-shape', since: 14 },
  Abs: { inputs: [1, 1], kind: 'same-shape' },
  Softsign: { inputs: [1, 1], kind: 'same-shape' },
  Erf: { inputs: [1, 1], kind: 'same-shape', since: 9 },
  // PRelu(X, slope): slope broadcasts to X (unidirectionally), so the output has X's shape.
  PRelu: { inputs: [2, 2], kind: 'broadcast' },
  Identity: { inputs: [1, 1], kind: 'pass-through' },
  Conv: { inputs: [2, 3], attrs: CONV_ATTRS, kind: 'convolution', weightInput: 1 },
  MaxPool: { inputs: [1, 1], outputs: [1, 2], attrs: { ...POOL_ATTRS, storage_order: 'int' }, kind: 'pooling' },
  AveragePool: { inputs: [1, 1], attrs: { ...POOL_ATTRS, count_include_pad: 'int' }, kind: 'pooling' },
  GlobalAveragePool: { inputs: [1, 1] },
  Flatten: { inputs: [1, 1], attrs: { axis: 'int' } },
  Reshape: { inputs: [1, 2], attrs: { allowzero: 'int', shape: 'ints' } },
  Transpose: { inputs: [1, 1], attrs: { perm: 'ints' } },
  Squeeze: { inputs: [1, 2], attrs: { axes: 'ints' } },
  Unsqueeze: { inputs: [1, 2], attrs: { axes: 'ints' } },
  Concat: { inputs: [1, Infinity], attrs: { axis: 'int' } },
  Shape: { inputs: [1, 1], attrs: { start: 'int', end: 'int' } },
  Gather: { inputs: [2, 2], attrs: { axis: 'int' } },
  Slice: { inputs: [1, 5], attrs: { starts: 'ints', ends: 'ints', axes: 'ints' } },
  Constant: {
    inputs: [0, 0],
    attrs: { value: 'tensor', value_float: 'float', value_floats: 'floats', value_int: 'int', value_ints: 'ints', value_string: 'string', value_strings: 'strings' },
  },
  ConstantOfShape: { inputs: [1, 1], attrs: { value: 'tensor' }, since: 9 },
  Dropout: { inputs: [1, 3], outputs: [1, 2], attrs: { ratio: 'float', seed: 'int' }, kind: 'pass-through' },
  Cast: { inputs: [1, 1], attrs: { to: 'int', saturate: 'int' } },
  ReduceMean: REDUCE,
  ReduceMax: REDUCE,
  ReduceSum: REDUCE,
  Clip: { inputs: [1, 3], attrs: { min: 'float', max: 'float' }, kind: 'same-shape' },
  BatchNormalization: { inputs: [5, 5], outputs: [1, 5], attrs: { epsilon: 'float', momentum: 'float', training_mode: 'int', spatial: 'int' } },
  // Opset 17: normalizes over the axes from `axis` (default -1) on; outputs Y and optionally Mean, InvStdDev.
  LayerNormalization: { inputs: [2, 3], outputs: [1, 3], attrs: { axis: 'int', epsilon: 'float', stash_type: 'int' }, since: 17 },
  QuantizeLinear: { inputs: [2, 3], attrs: { axis: 'int', saturate: 'int', block_size: 'int', output_dtype: 'int' }, kind: 'same-shape', since: 10 },
  DequantizeLinear: { inputs: [2, 3], attrs: { axis: 'int', block_size: 'int' }, kind: 'same-shape', since: 10 },
  DynamicQuantizeLinear: { inputs: [1, 1], outputs: [3, 3], since: 11 },
  MatMulInteger: { inputs: [2, 4], kind: 'matmul', weightInput: 1, since: 10 },
  ConvInteger: { inputs: [2, 4], attrs: CONV_ATTRS, kind: 'convolution', weightInput: 1, since: 10 },
  QLinearMatMul: { inputs: [8, 8], kind: 'matmul', weightInput: 3, since: 10 },
  QLinearConv: { inputs: [8, 9], attrs: CONV_ATTRS, kind: 'convolution', weightInput: 3, since: 10 },
  Max: { inputs: [1, Infinity], kind: 'broadcast' },
  Min: { inputs: [1, Infinity], kind: 'broadcast' },
  ArgMax: { inputs: [1, 1], attrs: { axis: 'int', keepdims: 'int', select_last_index: 'int' } },
  // Exported actions: torch.topk(q, 1).indices (k an attribute before opset 10, an input after), and
  // comparisons of Q-values such as (q[:, 1] > q[:, 0]).long().
  TopK: { inputs: [1, 2], outputs: [2, 2], attrs: { axis: 'int', k: 'int', largest: 'int', sorted: 'int' } },
  Greater: { inputs: [2, 2] },
  Less: { inputs: [2, 2] },
  Pad: { inputs: [1, 4], attrs: { mode: 'string', pads: 'ints', value: 'float' } },
};

/** Every op type validation lets through (in the default domain). */
export const VALIDATED_OPS: ReadonlySet<string> = new Set(Object.keys(OPS));

/** The ops that are no-ops at inference (Identity, Dropout). */
export const PASS_THROUGH_OPS: readonly string[] = Object.keys(OPS).filter((op) => OPS[op].kind === 'pass-through');

export function isDefaultDomain(domain: string | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

/** The table's entry for an op type, or undefined when qdistill does not accept it (callers check the domain). */
export function opFacts(opType: string | undefined): OpFacts | undefined {
  return opType !== undefined && VALIDATED_OPS.has(opType) ? OPS[opType] : undefined;
}
