// The int8 graphs of `quantize` (static QDQ and QOperator, dynamic) and of onnxruntime's quantizer, lowered to
// integer dense/conv steps (DenseStep.integer, Conv2dStep.integer): QuantizeLinear, DequantizeLinear of computed
// tensors, DynamicQuantizeLinear, QLinearMatMul, QLinearConv, MatMulInteger and ConvInteger (with the Cast and
// Mul that bring their int32 output back to float), and the QDQ groups Gemm/MatMul/Conv(DQ(Q(x)), DQ(w_int8)).
// Each op is taken as the ONNX operator spec defines it; a form outside these is a UsageError naming the node,
// never code that computes something else. program.ts calls in here through Int8Lowering.
import { getFloatAttr, getIntAttr } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/model.js';
import { DataType } from '../onnx/tensor.js';
import type { Constant, ConstantTable } from './constants.js';
import type { Int8Value, Placed } from './int8-values.js';
import type { Conv2dStep, DenseStep, InputQuantization, Int8Type, IntegerWeights, StaticQuantization, Step, WeightMatrix } from './program-types.js';

/** What the int8 lowerers need from the lowering in program.ts. */
export interface Int8Lowering {
  readonly constants: ConstantTable;
  /** Whether batches must be computed as onnxruntime computes them (LowerOptions.batches). */
  readonly batches: boolean;
  fail(node: NodeProto, why: string): never;
  /** The float tensor a node reads (a dequantized value is computed on the way). */
  placed(node: NodeProto, index: number): Placed;
  constant(node: NodeProto, index: number, what: string): Constant;
  /** A float tensor, an int8 value, 'other' for the lowering's own deferred values, undefined when unknown. */
  lookup(name: string): Placed | Int8Value | 'other' | undefined;
  set(name: string, value: Placed | Int8Value): void;
  emit(step: Step, shape: number[], outputName: string): void;
  /** A dense step of `x` by `weights` (its shapes checked), not yet emitted. */
  denseStep(node: NodeProto, x: Placed, weights: WeightMatrix, bias: Float32Array | null): DenseStep;
  /** A conv step of `x` by a kernel of `kernelDims` with the node's attributes, not yet emitted. */
  convStep(node: NodeProto, x: Placed, kernelDims: number[], weights: WeightMatrix, bias: Float32Array | null): Conv2dStep;
  /** A constant broadcast to one observation's `shape`, or null when it does not broadcast so. */
  broadcast(c: Constant, shape: readonly number[]): Float32Array | null;
}

type Lowerer = (node: NodeProto, l: Int8Lowering) => void;

/** The range an 8-bit type saturates to (int8-loops.ts's, for readers of this module). */
export { typeRange } from './int8-loops.js';

const f32 = Math.fround;

/** Whether a looked-up value is one of the int8 forms' deferred values. */
export function isInt8Value(v: Placed | Int8Value | 'other' | undefined): v is Int8Value {
  return typeof v === 'object' && 'deferred' in v;
}

const TYPES: Partial<Record<number, Int8Type>> = { [DataType.UINT8]: 'uint8', [DataType.INT8]: 'int8' };

function scalar(l: Int8Lowering, node: NodeProto, index: number, what: string): Constant {
  const c = l.constant(node, index, what);
  if (c.values.length !== 1) l.fail(node, `has ${c.values.length} values for ${what}; only per-tensor (scalar) ${what}s of activations are supported`);
  return c;
}

/** The scale and zero point inputs of a (de)quantization: scalar constants; no zero point is 0 of `fallback`. */
function quantizationAt(l: Int8Lowering, node: NodeProto, scaleIndex: number, zeroIndex: number, fallback: Int8Type = 'uint8'): StaticQuantization {
  const scale = scalar(l, node, scaleIndex, 'scale').values[0];
  if (!(scale > 0) || !Number.isFinite(scale)) l.fail(node, `has scale ${scale}; a quantization scale must be positive and finite`);
  if (!node.input[zeroIndex]) return { scale, zeroPoint: 0, type: fallback };
  const zero = scalar(l, node, zeroIndex, 'zero point');
  const type = TYPES[zero.dataType];
  if (!type) l.fail(node, `has a ${DataType[zero.dataType] ?? zero.dataType} zero point; only uint8 and int8 quantization are supported`);
  return { scale, zeroPoint: zero.integers![0], type };
}

function sameQuantization(a: StaticQuantization, b: StaticQuantization): boolean {
  return f32(a.scale) === f32(b.scale) && a.zeroPoint === b.zeroPoint && a.type === b.type;
}

function describe(q: StaticQuantization): string {
  return `scale ${q.scale}, zero point ${q.zeroPoint} (${q.type})`;
}

const lowerQuantizeLinear: Lowerer = (node, l) => {
  if (getIntAttr(node, 'block_size', 0) !== 0) l.fail(node, 'quantizes in blocks; only per-tensor quantization of activations is supported');
  const quant = quantizationAt(l, node, 1, 2);
  const v = l.lookup(node.input[0]);
  // Q(DQ(Q(x))) at the same scale and zero point is Q(x).
  if (isInt8Value(v) && v.deferred === 'dequantized' && sameQuantization(v.quant, quant)) {
    l.set(node.output[0], { deferred: 'codes', of: v.of, quant, exact: false, node });
    return;
  }
  l.set(node.output[0], { deferred: 'codes', of: l.placed(node, 0), quant, exact: false, node });
};

const lowerDequantizeLinear: Lowerer = (node, l) => {
  if (l.constants.tryFold(node)) return;
  const v = l.lookup(node.input[0]);
  if (!isInt8Value(v) || v.deferred !== 'codes') return l.fail(node, 'dequantizes a computed tensor; only the output of QuantizeLinear, QLinearMatMul or QLinearConv (or a constant) is supported');
  const quant = quantizationAt(l, node, 1, 2, v.quant.type);
  if (!sameQuantization(quant, v.quant)) l.fail(node, `dequantizes at ${describe(quant)} codes made at ${describe(v.quant)}; only the same scale and zero point are supported`);
  // A QLinear op's step already holds the dequantized values (exactly: Q(DQ(q)) = q at the same scale).
  l.set(node.output[0], v.exact ? v.of : { deferred: 'dequantized', of: v.of, quant: v.quant, node });
};

const lowerDynamicQuantizeLinear: Lowerer = (node, l) => {
  if (l.batches) l.fail(node, 'quantizes with the range of the whole batch, which code computing one observation at a time cannot do for a batch; export js and export c compute it per observation');
  const of = l.placed(node, 0);
  (['codes', 'scale', 'zero'] as const).forEach((part, i) => {
    if (node.output[i]) l.set(node.output[i], { deferred: 'dynamic', part, of, node });
  });
};

/** The 8-bit codes an integer op reads at input `index` (its zero point at `zeroIndex`, a QLinear op's scale at `scaleIndex`). */
function productInput(l: Int8Lowering, node: NodeProto, index: number, zeroIndex: number, scaleIndex: number | null): { x: Placed; input: InputQuantization; source: NodeProto | null } {
  const v = l.lookup(node.input[index]);
  if (isInt8Value(v) && v.deferred === 'codes') {
    const stated = scaleIndex === null ? null : quantizationAt(l, node, scaleIndex, zeroIndex, v.quant.type);
    const zero = stated ? stated.zeroPoint : node.input[zeroIndex] ? scalar(l, node, zeroIndex, 'zero point').integers![0] : 0;
    if ((stated && f32(stated.scale) !== f32(v.quant.scale)) || zero !== v.quant.zeroPoint) {
      l.fail(node, `reads codes made at ${describe(v.quant)} as scale ${stated?.scale ?? '(none)'}, zero point ${zero}; only the quantization they were made with is supported`);
    }
    return { x: v.of, input: { kind: 'static', ...v.quant }, source: null };
  }
  if (isInt8Value(v) && v.deferred === 'dynamic' && v.part === 'codes') {
    if (scaleIndex !== null) l.fail(node, 'reads the codes of a DynamicQuantizeLinear; only MatMulInteger and ConvInteger read those');
    const zero = l.lookup(node.input[zeroIndex] ?? '');
    if (!isInt8Value(zero) || zero.deferred !== 'dynamic' || zero.part !== 'zero' || zero.node !== v.node) {
      l.fail(node, `reads the codes of DynamicQuantizeLinear '${v.node.name || v.node.output[0]}' without its zero point`);
    }
    return { x: v.of, input: { kind: 'dynamic' }, source: v.node };
  }
  return l.fail(node, `reads '${node.input[index]}', which is not the 8-bit output of QuantizeLinear, DynamicQuantizeLinear, QLinearMatMul or QLinearConv`);
}

/** Integer values of an int8/uint8 constant, uint8 shifted by −128 (with its zero points, see IntegerWeights). */
function integerValues(l: Int8Lowering, node: NodeProto, c: Constant, what: string): { q: Int8Array; shift: number } {
  const type = TYPES[c.dataType];
  if (!type || !c.integers) l.fail(node, `has a ${DataType[c.dataType] ?? c.dataType} ${what}; only int8 and uint8 weights are supported`);
  const shift = type === 'uint8' ? 128 : 0;
  return { q: Int8Array.from(c.integers, (v) => v - shift), shift };
}

/** Per-row values of a scale or zero-point input: one for all rows, or one per row. */
function perRowInput(l: Int8Lowering, node: NodeProto, c: Constant | null, rows: number, what: string, fallback: number): Float64Array {
  if (!c) return Float64Array.of(fallback);
  const values = c.integers ?? Float64Array.from(c.values);
  if (values.length !== 1 && values.length !== rows) l.fail(node, `has ${values.length} values for ${what}; one, or one per output (${rows}), is supported`);
  return values;
}

function rowMajor(q: Int8Array, dims: readonly number[], transposed: boolean): { q: Int8Array; rows: number; columns: number } {
  if (transposed) return { q, rows: dims[0], columns: dims[1] };
  const [columns, rows] = dims;
  const out = new Int8Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[r * columns + c] = q[c * rows + r];
  return { q: out, rows, columns };
}

/** The WeightMatrix of an integer step: the dequantized weights, for describing the step (the arithmetic reads `integer`). */
function referenceMatrix(w: IntegerWeights, rows: number, columns: number): WeightMatrix {
  const at = (a: ArrayLike<number>, r: number) => a[a.length === 1 ? 0 : r];
  const values = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) values[r * columns + c] = (w.q[r * columns + c] - at(w.zeroPoints, r)) * at(w.scales, r);
  return { rows, columns, values, int8: null };
}

/** Weights from an integer constant with separate scale and zero-point constants (QLinear*, *Integer ops). */
function opWeights(l: Int8Lowering, node: NodeProto, c: Constant, transposed: boolean, scale: Constant | null, zero: Constant | null): { weights: IntegerWeights; rows: number; columns: number } {
  const { q, shift } = integerValues(l, node, c, 'weight');
  const conv = c.dims.length === 4;
  if (!conv && c.dims.length !== 2) l.fail(node, `needs a 2-D weight matrix, got dims [${c.dims.join(', ')}]`);
  const m = conv ? { q, rows: c.dims[0], columns: c.dims.slice(1).reduce((a, b) => a * b, 1) } : rowMajor(q, c.dims, transposed);
  const scales = perRowInput(l, node, scale, m.rows, 'the weight scale', 1);
  const zeros = perRowInput(l, node, zero, m.rows, 'the weight zero point', 0);
  if (zero && TYPES[zero.dataType] !== TYPES[c.dataType]) l.fail(node, 'has weights and weight zero points of different types');
  const weights: IntegerWeights = { q: m.q, scales: Float32Array.from(scales), zeroPoints: Int32Array.from(zeros, (z) => z - shift) };
  return { weights, rows: m.rows, columns: m.columns };
}

function requantizeMultipliers(inputScale: number, weightScales: Float32Array, outputScale: number): Float32Array {
  // onnxruntime: a_scale * b_scale[i] / y_scale, in float32, left to right.
  return weightScales.map((s) => f32(f32(inputScale * s) / outputScale));
}

const lowerQLinearMatMul: Lowerer = (node, l) => {
  const { x, input } = productInput(l, node, 0, 2, 1);
  const { weights, rows, columns } = opWeights(l, node, l.constant(node, 3, 'b'), false, l.constant(node, 4, 'b_scale'), node.input[5] ? l.constant(node, 5, 'b_zero_point') : null);
  const y = quantizationAt(l, node, 6, 7);
  const step = l.denseStep(node, x, referenceMatrix(weights, rows, columns), null);
  const inputScale = (input as { scale: number }).scale;
  step.integer = { input, weights, bias: null, output: { kind: 'requantize', ...y, multipliers: requantizeMultipliers(inputScale, weights.scales, y.scale) } };
  emitCodes(l, node, step, [rows], y);
};

/**
 * The largest |sum| an integer step can reach must fit int32 (what the generated code accumulates in):
 * every column at the extremes of its codes and weights, plus the bias.
 */
function checkSumRange(l: Int8Lowering, node: NodeProto, step: DenseStep | Conv2dStep): void {
  const p = step.integer!;
  const bias = p.bias ? p.bias.reduce((m, b) => Math.max(m, Math.abs(b)), 0) : 0;
  const wzp = p.weights.zeroPoints.reduce((m, z) => Math.max(m, Math.abs(z)), 0);
  const worst = step.weights.columns * 255 * (128 + wzp) + bias;
  if (worst >= 2 ** 31) l.fail(node, `sums ${step.weights.columns} products per output, which could overflow the int32 sum`);
}

/** Emits a QLinear op's step (its float output: the dequantized codes) and names its codes. */
function emitCodes(l: Int8Lowering, node: NodeProto, step: DenseStep | Conv2dStep, shape: number[], y: StaticQuantization): void {
  const name = `${node.output[0]} (dequantized)`;
  checkSumRange(l, node, step);
  l.emit(step, shape, name);
  l.set(node.output[0], { deferred: 'codes', of: { buffer: step.output, shape }, quant: y, exact: true, node });
}

function int32Bias(l: Int8Lowering, node: NodeProto, index: number, rows: number): Int32Array | null {
  if (!node.input[index]) return null;
  const b = l.constant(node, index, 'bias');
  if (b.dataType !== DataType.INT32 || !b.integers) l.fail(node, `has a ${DataType[b.dataType] ?? b.dataType} bias; QLinearConv's bias is int32`);
  if (b.integers.length !== rows) l.fail(node, `has ${b.integers.length} biases for ${rows} output channels`);
  return Int32Array.from(b.integers);
}

const lowerQLinearConv: Lowerer = (node, l) => {
  const { x, input } = productInput(l, node, 0, 2, 1);
  const w = l.constant(node, 3, 'w');
  if (w.dims.length !== 4) l.fail(node, `needs a 4-D kernel, got dims [${w.dims.join(', ')}]`);
  const { weights, rows, columns } = opWeights(l, node, w, false, l.constant(node, 4, 'w_scale'), node.input[5] ? l.constant(node, 5, 'w_zero_point') : null);
  const y = quantizationAt(l, node, 6, 7);
  const step = l.convStep(node, x, w.dims, referenceMatrix(weights, rows, columns), null);
  const inputScale = (input as { scale: number }).scale;
  step.integer = { input, weights, bias: int32Bias(l, node, 8, rows), output: { kind: 'requantize', ...y, multipliers: requantizeMultipliers(inputScale, weights.scales, y.scale) } };
  emitCodes(l, node, step, [step.outChannels, step.outHeight, step.outWidth], y);
};

function integerProduct(conv: boolean): Lowerer {
  return (node, l) => {
    const { x, input, source } = productInput(l, node, 0, 2, null);
    const w = l.constant(node, 1, conv ? 'w' : 'B');
    if (conv && w.dims.length !== 4) l.fail(node, `needs a 4-D kernel, got dims [${w.dims.join(', ')}]`);
    const { weights, rows, columns } = opWeights(l, node, w, false, null, node.input[3] ? l.constant(node, 3, 'the weight zero point') : null);
    const matrix = referenceMatrix(weights, rows, columns);
    const step = conv ? l.convStep(node, x, w.dims, matrix, null) : l.denseStep(node, x, matrix, null);
    step.integer = { input, weights, bias: null, output: { kind: 'rescale', factors: null } };
    const shape = step.kind === 'conv2d' ? [step.outChannels, step.outHeight, step.outWidth] : [rows];
    l.set(node.output[0], { deferred: 'int32', step, shape, float: false, node, source });
  };
}

/** Cast of an integer product's int32 output to float (true when it was one). */
export function lowerInt8Cast(node: NodeProto, l: Int8Lowering): boolean {
  const v = l.lookup(node.input[0]);
  if (!isInt8Value(v)) return false;
  if (v.deferred !== 'int32' || v.float) l.fail(node, `casts the ${v.deferred} value of node '${v.node.name || v.node.output[0]}'; only the int32 output of MatMulInteger or ConvInteger is cast (to FLOAT)`);
  if (getIntAttr(node, 'to', 0) !== DataType.FLOAT) l.fail(node, 'casts an int32 product to another type than FLOAT');
  l.set(node.output[0], { ...v, float: true });
  return true;
}

/** One value per output row of a factor that broadcasts to the product's shape and is constant along its other axes. */
function factorPerRow(l: Int8Lowering, node: NodeProto, c: Constant, shape: number[]): Float32Array {
  const full = l.broadcast(c, shape);
  const rows = shape[0];
  const inner = full ? full.length / rows : 0;
  const perRow = full ? Float32Array.from({ length: rows }, (_, r) => full[r * inner]) : null;
  if (!full || !perRow || full.some((v, i) => v !== perRow[Math.floor(i / inner)])) {
    return l.fail(node, `rescales an integer product by a constant of dims [${c.dims.join(', ')}]; only one factor, or one per output unit or channel, is supported`);
  }
  return perRow.every((v) => v === perRow[0]) ? perRow.subarray(0, 1) : perRow;
}

/**
 * Mul in the int8 forms (true when it was one): the dynamic form's scale product Mul(a_scale, w_scale), and
 * the Mul that rescales a Cast integer product, by a constant or by that scale product. Emits the product's step.
 */
export function lowerInt8Mul(node: NodeProto, l: Int8Lowering): boolean {
  const values = node.input.map((name) => l.lookup(name));
  const constants = node.input.map((name) => l.constants.get(name));
  for (const i of [0, 1]) {
    const v = values[i];
    const other = constants[1 - i];
    if (isInt8Value(v) && v.deferred === 'dynamic' && v.part === 'scale') {
      if (!other) l.fail(node, 'multiplies the scale of a DynamicQuantizeLinear by a computed tensor; only constant weight scales are supported');
      l.set(node.output[0], { deferred: 'scale-product', source: v.node, weightScales: other.values, dims: other.dims, node });
      return true;
    }
  }
  for (const i of [0, 1]) {
    const v = values[i];
    if (!isInt8Value(v) || v.deferred !== 'int32') continue;
    if (!v.float) l.fail(node, `multiplies the int32 output of '${v.node.name || v.node.output[0]}' before a Cast to float`);
    const integer = v.step.integer!;
    const c = constants[1 - i];
    const product = values[1 - i];
    if (c) {
      const factors = factorPerRow(l, node, c, v.shape);
      integer.output = { kind: 'rescale', factors };
      // The file gives the factor (input scale × weight scale) only; the weight scale is that over the input scale.
      integer.weights.scales = integer.input.kind === 'static' ? factors.map((f) => f / (integer.input as { scale: number }).scale) : factors;
    } else if (isInt8Value(product) && product.deferred === 'scale-product') {
      if (product.source !== v.source) l.fail(node, `rescales by the scale of DynamicQuantizeLinear '${product.source.name || product.source.output[0]}', which is not the one its product reads`);
      integer.weights.scales = factorPerRow(l, node, { dims: product.dims, values: product.weightScales, dataType: DataType.FLOAT }, v.shape);
      integer.output = { kind: 'rescale', factors: null };
    } else {
      l.fail(node, 'multiplies an integer product by a computed tensor; only a constant factor or the scale product of its DynamicQuantizeLinear is supported');
    }
    checkSumRange(l, node, v.step);
    l.emit(v.step, v.shape, node.output[0]);
    return true;
  }
  return false;
}

/**
 * A QDQ group — Gemm, MatMul or Conv of DequantizeLinear(QuantizeLinear(x)) and an int8 weight behind a
 * DequantizeLinear — as an integer step (true when it was one): sum × (input scale × weight scale), the int32
 * bias in the sum when its scale is exactly that product, else the (dequantized) bias added in float. Other
 * forms (a float weight, alpha/beta ≠ 1, scales along the input axis) are left to the float lowering.
 */
export function lowerQdqProduct(node: NodeProto, l: Int8Lowering): boolean {
  const v = l.lookup(node.input[0]);
  const w = l.constants.get(node.input[1] ?? '');
  if (!isInt8Value(v) || v.deferred !== 'dequantized' || !w?.int8) return false;
  const conv = node.opType === 'Conv';
  let transposed = false;
  if (node.opType === 'Gemm') {
    if (getIntAttr(node, 'transA', 0) || getFloatAttr(node, 'alpha', 1) !== 1 || getFloatAttr(node, 'beta', 1) !== 1) return false;
    transposed = getIntAttr(node, 'transB', 0) === 1;
  }
  if (conv ? w.dims.length !== 4 : w.dims.length !== 2) return false;
  const outputAxis = conv || transposed ? 0 : 1;
  if (w.int8.axis !== null && w.int8.axis !== outputAxis) return false;
  const m = conv ? { q: w.int8.q, rows: w.dims[0], columns: w.dims.slice(1).reduce((a, b) => a * b, 1) } : rowMajor(w.int8.q, w.dims, transposed);
  const weights: IntegerWeights = { q: m.q, scales: w.int8.scales, zeroPoints: w.int8.zeroPoints };
  const sx = v.quant.scale;
  const factors = weights.scales.map((s) => f32(sx * s));
  const c = node.opType === 'MatMul' ? null : l.constants.get(node.input[2] ?? '') ?? null;
  if (node.input[2] && node.opType !== 'MatMul' && !c) return false;
  let bias: Int32Array | null = null;
  let floatBias: Float32Array | null = null;
  if (c) {
    const b = c.int32;
    const rowFactor = (r: number) => factors[factors.length === 1 ? 0 : r];
    const exact = b && b.q.length === m.rows && b.zeroPoints.every((z) => z === 0) && Array.from(b.q, (_, r) => b.scales[b.scales.length === 1 ? 0 : r] === rowFactor(r)).every(Boolean);
    if (exact) bias = Int32Array.from(b.q);
    else floatBias = l.broadcast(c, [m.rows]) ?? l.fail(node, `has a bias of dims [${c.dims.join(', ')}] for ${m.rows} outputs`);
  }
  const matrix = referenceMatrix(weights, m.rows, m.columns);
  const step = conv ? l.convStep(node, v.of, w.dims, matrix, floatBias) : l.denseStep(node, v.of, matrix, floatBias);
  step.integer = { input: { kind: 'static', ...v.quant }, weights, bias, output: { kind: 'rescale', factors } };
  checkSumRange(l, node, step);
  l.emit(step, step.kind === 'conv2d' ? [step.outChannels, step.outHeight, step.outWidth] : [m.rows], node.output[0]);
  return true;
}

/** The int8 ops lowered here (Cast and Mul are shared with the float lowering: lowerInt8Cast, lowerInt8Mul). */
export const INT8_LOWERERS: Record<string, Lowerer> = {
  QuantizeLinear: lowerQuantizeLinear,
  DequantizeLinear: lowerDequantizeLinear,
  DynamicQuantizeLinear: lowerDynamicQuantizeLinear,
  QLinearMatMul: lowerQLinearMatMul,
  QLinearConv: lowerQLinearConv,
  MatMulInteger: integerProduct(false),
  ConvInteger: integerProduct(true),
};
