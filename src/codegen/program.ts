// An ONNX policy graph lowered to the small sequential program the code generators (js.ts, c.ts) share:
// typed steps over float32 buffers of fixed sizes, one observation at a time, weights as constants.
// Written by hand because no library lowers ONNX to straight-line code we could inline; the op set is the
// one our exported and compressed policies (and torch.onnx MLPs/CNNs) use. Anything else is a UsageError
// naming the op and the node — never code that computes something different.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { EnvSpec } from '../envs/types.js';
import { describePolicyFile, type DescribeOptions } from '../policy/file.js';
import { runtimePolicyModel } from '../policy/normalize.js';
import { getFloatAttr, getIntAttr, getIntsAttr, getStringAttr, topologicalOrder } from '../onnx/graph.js';
import { decodeModel, type GraphProto, type ModelProto, type NodeProto } from '../onnx/model.js';
import { isDefaultDomain, PASS_THROUGH_OPS } from '../onnx/ops.js';
import { DataType } from '../onnx/tensor.js';
import { widenFloat16 } from '../onnx/widen-float16.js';
import { UsageError } from '../util/errors.js';
import { ConstantTable, symmetricInt8, type Constant } from './constants.js';
import { INT8_LOWERERS, isInt8Value, lowerInt8Cast, lowerInt8Mul, lowerQdqProduct, type Int8Lowering } from './int8-lower.js';
import type { Int8Value, Placed } from './int8-values.js';
import { compact, fuse, setWeightFormat } from './peephole.js';
import type { WeightFormat, Activation, WeightMatrix, Step, Program, DenseStep, Conv2dStep } from './program-types.js';

export type { WeightFormat, Activation, WeightMatrix, Step, Program } from './program-types.js';
import { type PolicyFileInfo } from '../policy/file.js';

/** How to lower a policy: the weights' number format and how messages name what is built. */
export interface LowerOptions {
  /** Number format of the inlined weights (default float32). */
  weights?: WeightFormat;
  /** How messages name what is being built: 'export js', 'export c', 'the js runtime'. */
  target?: string;
  /**
   * The caller answers batches and must give onnxruntime's outputs for them (a runtime): DynamicQuantizeLinear
   * takes its range over the whole batch, which a program of one observation cannot, so such files are refused.
   * Exported code quantizes each observation on its own (onnxruntime's result for a batch of one).
   */
  batches?: boolean;
}

/** Options of programFromBytes(): lowering, the environment, and how to read a file from elsewhere (--output, --allow-fp16). */
export interface ProgramOptions extends LowerOptions, DescribeOptions {
  /** Environment id for files without qdistill.env metadata. */
  env?: string;
}

/**
 * Decode, check against the env (describePolicyFile), lower what the runtimes run: the file as
 * runtimePolicyModel adapts it (the Q-values behind an ArgMax output, the SB3 Cast prologue dropped, the
 * batch made symbolic), float16 widened to float32 by lowerPolicy.
 */
export function programFromBytes(bytes: Uint8Array, where: string, options: ProgramOptions = {}): Program {
  const model = decodeModel(bytes, where);
  const { spec, info } = describePolicyFile(model, where, options.env, { output: options.output, allowFp16: options.allowFp16 });
  return lowerPolicy(runtimePolicyModel(model, info) ?? model, spec, info, { file: basename(where), sha256: sha256(bytes) }, options);
}

/** Hex SHA-256 of the input model's bytes (recorded in the generated code's header). */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------

/** Parts of the dueling head, materialised only when the final Add combines them. */
interface Deferred {
  deferred: 'mean' | 'centred';
  /** The advantage tensor. */
  of: Placed;
  node: NodeProto;
}

type Value = Placed | Deferred | Int8Value;

const isDeferred = (v: Value): v is Deferred | Int8Value => 'deferred' in v;
const isHeadPart = (v: Value | undefined): v is Deferred => v !== undefined && 'deferred' in v && (v.deferred === 'mean' || v.deferred === 'centred');
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

class Lowering implements Int8Lowering {
  readonly buffers: number[] = [];
  readonly steps: Step[] = [];
  readonly values = new Map<string, Value>();
  /** Dequantized values computed for a float reader, by the name of DequantizeLinear's output. */
  private readonly dequantized = new Map<string, Placed>();

  constructor(
    readonly constants: ConstantTable,
    readonly target: string,
    readonly batches = false,
  ) {}

  buffer(size: number): number {
    this.buffers.push(size);
    return this.buffers.length - 1;
  }

  fail(node: NodeProto, why: string): never {
    throw new UsageError(`${this.target}: node '${node.name || node.output[0]}' (${node.opType}) ${why}`);
  }

  placed(node: NodeProto, index: number): Placed {
    const name = node.input[index];
    const value = this.values.get(name);
    if (!value) {
      if (this.constants.has(name)) this.fail(node, `reads constant '${name}' where a computed tensor is expected`);
      this.fail(node, `reads '${name}', which no supported node computes`);
    }
    if (!isHeadPart(value) && isInt8Value(value)) return this.int8AsFloat(node, name, value);
    if (isDeferred(value)) {
      throw new UsageError(
        `${this.target}: ${value.node.opType} (node '${value.node.name || value.node.output[0]}') is supported only inside the dueling head V + (A − mean(A)), but node '${node.name || node.output[0]}' (${node.opType}) reads it`,
      );
    }
    return value;
  }

  /** A float op reading an int8 value: DequantizeLinear(QuantizeLinear(x)) is computed then; nothing else is float. */
  private int8AsFloat(node: NodeProto, name: string, value: Int8Value): Placed {
    if (value.deferred !== 'dequantized') {
      const what = { codes: '8-bit codes', dynamic: 'an output of DynamicQuantizeLinear', int32: 'an int32 product', 'scale-product': 'a quantization scale product' }[value.deferred];
      this.fail(node, `reads '${name}', ${what} of node '${value.node.name || value.node.output[0]}'; only the int8 forms of quantize (QDQ, QOperator, dynamic) are supported`);
    }
    const known = this.dequantized.get(name);
    if (known) return known;
    const size = sizeOf(value.of.shape);
    const output = this.buffer(size);
    this.steps.push({ kind: 'quantize', node: value.node.name ?? '', input: value.of.buffer, output, size, ...value.quant });
    const placed = { buffer: output, shape: value.of.shape };
    this.dequantized.set(name, placed);
    return placed;
  }

  /** The graph output when it is DequantizeLinear(QuantizeLinear(x)): computed as for a float reader. */
  dequantizedOutput(name: string, value: Int8Value): Placed {
    return this.int8AsFloat(value.node, name, value);
  }

  lookup(name: string): Placed | Int8Value | 'other' | undefined {
    const v = this.values.get(name);
    return v === undefined ? undefined : isHeadPart(v) ? 'other' : v;
  }

  set(name: string, value: Placed | Int8Value): void {
    this.values.set(name, value);
  }

  denseStep(node: NodeProto, x: Placed, weights: WeightMatrix, bias: Float32Array | null): DenseStep {
    if (x.shape.length !== 1) this.fail(node, `multiplies a [batch, ${x.shape.join(', ')}] tensor; only [batch, features] inputs are supported (flatten first)`);
    if (x.shape[0] !== weights.columns) this.fail(node, `multiplies ${x.shape[0]} features by weights for ${weights.columns}`);
    return { kind: 'dense', node: node.name ?? '', input: x.buffer, output: this.buffer(weights.rows), weights, bias, activation: null, integer: null };
  }

  convStep(node: NodeProto, x: Placed, kernelDims: number[], weights: WeightMatrix, bias: Float32Array | null): Conv2dStep {
    return convStep(node, this, x, kernelDims, weights, bias);
  }

  broadcast(c: Constant, shape: readonly number[]): Float32Array | null {
    return broadcastConstant(c, shape);
  }

  constant(node: NodeProto, index: number, what: string): Constant {
    const c = this.constants.get(node.input[index] ?? '');
    if (!c) this.fail(node, `needs a constant ${what} (initializer); '${node.input[index] ?? ''}' is computed`);
    return c;
  }

  optionalConstant(node: NodeProto, index: number, what: string): Constant | null {
    return node.input[index] ? this.constant(node, index, what) : null;
  }

  emit(step: Step, shape: number[], outputName: string): void {
    this.steps.push(step);
    this.values.set(outputName, { buffer: step.output, shape });
  }

  alias(node: NodeProto, input: Placed, shape: number[]): void {
    if (sizeOf(shape) !== sizeOf(input.shape)) this.fail(node, `changes ${sizeOf(input.shape)} values into [${shape.join(', ')}]`);
    this.values.set(node.output[0], { buffer: input.buffer, shape });
  }
}

type Lowerer = (node: NodeProto, l: Lowering) => void;

function activationLowerer(read: (node: NodeProto, l: Lowering) => Activation): Lowerer {
  return (node, l) => {
    const x = l.placed(node, 0);
    const size = sizeOf(x.shape);
    l.emit({ kind: 'activation', node: node.name ?? '', input: x.buffer, output: l.buffer(size), size, activation: read(node, l) }, x.shape, node.output[0]);
  };
}

function scalarInput(node: NodeProto, l: Lowering, index: number, fallback: number): number {
  const c = l.optionalConstant(node, index, 'bound');
  if (!c) return fallback;
  if (c.values.length !== 1) l.fail(node, `needs a scalar bound, got ${c.values.length} values`);
  return c.values[0];
}

/**
 * A constant broadcast (numpy rules, towards the tensor only) to one observation's `shape`: a scalar, a
 * last-axis [N] bias, a per-channel [C, 1, 1] or the exact shape, with any leading 1 (batch) dims; null when
 * it does not broadcast so.
 */
function broadcastConstant(c: Constant, shape: readonly number[]): Float32Array | null {
  const size = sizeOf(shape);
  if (c.values.length === 1) return new Float32Array(size).fill(c.values[0]);
  if (c.values.length !== sizeOf(c.dims)) return null;
  const dims = c.dims.slice();
  while (dims.length > shape.length && dims[0] === 1) dims.shift();
  if (dims.length > shape.length) return null;
  while (dims.length < shape.length) dims.unshift(1);
  if (dims.some((d, i) => d !== 1 && d !== shape[i])) return null;
  // Strides of the constant, 0 along its broadcast axes.
  const strides = dims.map((d, i) => (d === 1 ? 0 : sizeOf(dims.slice(i + 1))));
  const out = new Float32Array(size);
  const coord = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < size; o++) {
    let from = 0;
    for (let j = 0; j < shape.length; j++) from += coord[j] * strides[j];
    out[o] = c.values[from];
    for (let j = shape.length - 1; j >= 0; j--) {
      if (++coord[j] < shape[j]) break;
      coord[j] = 0;
    }
  }
  return out;
}

/** A constant bias broadcast to a tensor's values (broadcastConstant), or a UsageError. */
function broadcastBias(node: NodeProto, l: Lowering, c: Constant, shape: number[], verb = 'adds'): Float32Array {
  const out = broadcastConstant(c, shape);
  if (out) return out;
  l.fail(node, `${verb} a constant of dims [${c.dims.join(', ')}] to a [${shape.join(', ')}] tensor; only constants that broadcast to it (scalar, last-axis, per-channel or same-shape) are supported`);
}

/** Rows of a [K, N] or ([N, K] when transposed) constant as a row-per-output matrix, int8 kept when it fits. */
function denseWeights(node: NodeProto, l: Lowering, b: Constant, transposed: boolean, alpha: number): WeightMatrix {
  if (b.dims.length !== 2) l.fail(node, `needs a 2-D weight matrix, got dims [${b.dims.join(', ')}]`);
  const [rows, columns] = transposed ? b.dims : [b.dims[1], b.dims[0]];
  const values = new Float32Array(rows * columns);
  // Weights-only int8 (zero point 0) is kept as int8 values with scales; other zero points only serve integer steps.
  let q: Int8Array | null = symmetricInt8(b) ? new Int8Array(rows * columns) : null;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const from = transposed ? r * columns + c : c * rows + r;
      values[r * columns + c] = alpha * b.values[from];
      if (q) q[r * columns + c] = b.int8!.q[from];
    }
  }
  // The file's scales fit a row-per-output layout only per tensor or along the output axis.
  const outputAxis = transposed ? 0 : 1;
  const axis = b.int8?.axis ?? null;
  if (q && axis !== null && axis !== outputAxis) q = null;
  const int8 = q ? { q, scales: b.int8!.scales.map((s) => s * alpha) } : null;
  return { rows, columns, values, int8 };
}

function lowerDense(node: NodeProto, l: Lowering, weights: WeightMatrix, bias: Float32Array | null): void {
  l.emit(l.denseStep(node, l.placed(node, 0), weights, bias), [weights.rows], node.output[0]);
}

const lowerGemm: Lowerer = (node, l) => {
  if (lowerQdqProduct(node, l)) return;
  if (getIntAttr(node, 'transA', 0)) l.fail(node, 'has transA = 1, which would mix observations of the batch');
  const b = l.constant(node, 1, 'B');
  const weights = denseWeights(node, l, b, getIntAttr(node, 'transB', 0) === 1, getFloatAttr(node, 'alpha', 1));
  const c = l.optionalConstant(node, 2, 'C');
  const beta = getFloatAttr(node, 'beta', 1);
  const bias = c ? broadcastBias(node, l, c, [weights.rows]).map((v) => v * beta) : null;
  lowerDense(node, l, weights, bias);
};

const lowerMatMul: Lowerer = (node, l) => {
  if (lowerQdqProduct(node, l)) return;
  lowerDense(node, l, denseWeights(node, l, l.constant(node, 1, 'B'), false, 1), null);
};

function pair(node: NodeProto, name: string, fallback: number): [number, number] {
  const v = getIntsAttr(node, name, [fallback, fallback]);
  if (v.length !== 2) throw new UsageError(`node '${node.name ?? ''}' (Conv): only 2-D convolutions are supported (${name} has ${v.length} values)`);
  return [v[0], v[1]];
}

/** The step of a Conv-like node (Conv, QLinearConv, ConvInteger) on `x` by a [M, C/group, kh, kw] kernel; not emitted. */
function convStep(node: NodeProto, l: Lowering, x: Placed, kernelDims: number[], weights: WeightMatrix, bias: Float32Array | null): Conv2dStep {
  if (x.shape.length !== 3) l.fail(node, `convolves a [batch, ${x.shape.join(', ')}] tensor; only 2-D images [batch, C, H, W] are supported`);
  if (kernelDims.length !== 4) l.fail(node, `needs a 4-D kernel, got dims [${kernelDims.join(', ')}]`);
  const [inChannels, inHeight, inWidth] = x.shape;
  const [outChannels, perGroup, kh, kw] = kernelDims;
  const group = getIntAttr(node, 'group', 1);
  if (perGroup * group !== inChannels || outChannels % group !== 0) l.fail(node, `has a [${kernelDims.join(', ')}] kernel for ${inChannels} input channels in ${group} groups`);
  const kernel = pair(node, 'kernel_shape', 0);
  if (getIntsAttr(node, 'kernel_shape') && (kernel[0] !== kh || kernel[1] !== kw)) l.fail(node, `kernel_shape [${kernel}] disagrees with its weights`);
  const strides = pair(node, 'strides', 1);
  const dilations = pair(node, 'dilations', 1);
  const autoPad = getStringAttr(node, 'auto_pad', 'NOTSET');
  let pads = getIntsAttr(node, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  if (pads.length !== 4) l.fail(node, `has ${pads.length} pads; 2-D convolutions need 4`);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [inHeight, inWidth].map((size, i) => Math.max((Math.ceil(size / strides[i]) - 1) * strides[i] + ((i ? kw : kh) - 1) * dilations[i] + 1 - size, 0));
    const small = total.map((t) => Math.floor(t / 2));
    const large = total.map((t, i) => t - small[i]);
    pads = autoPad === 'SAME_UPPER' ? [small[0], small[1], large[0], large[1]] : [large[0], large[1], small[0], small[1]];
  } else if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else if (autoPad !== 'NOTSET') l.fail(node, `has auto_pad '${autoPad}'`);
  const outHeight = Math.floor((inHeight + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0]) + 1;
  const outWidth = Math.floor((inWidth + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1]) + 1;
  if (outHeight < 1 || outWidth < 1) l.fail(node, `leaves no output pixels on a ${inHeight}×${inWidth} image`);
  if (bias && bias.length !== outChannels) l.fail(node, `has ${bias.length} biases for ${outChannels} channels`);
  return {
    kind: 'conv2d', node: node.name ?? '', input: x.buffer, output: l.buffer(outChannels * outHeight * outWidth),
    inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernel: [kh, kw], strides, dilations, pads, group,
    weights, bias, activation: null, integer: null,
  };
}

const lowerConv: Lowerer = (node, l) => {
  if (lowerQdqProduct(node, l)) return;
  const x = l.placed(node, 0);
  const w = l.constant(node, 1, 'W');
  if (w.dims.length !== 4) l.fail(node, `needs a 4-D kernel, got dims [${w.dims.join(', ')}]`);
  const columns = w.dims[1] * w.dims[2] * w.dims[3];
  const int8 = w.int8 && symmetricInt8(w) && (w.int8.axis === null || w.int8.axis === 0) ? { q: w.int8.q, scales: w.int8.scales } : null;
  const weights: WeightMatrix = { rows: w.dims[0], columns, values: w.values, int8 };
  const b = l.optionalConstant(node, 2, 'B');
  const step = convStep(node, l, x, w.dims, weights, b ? Float32Array.from(b.values) : null);
  l.emit(step, [step.outChannels, step.outHeight, step.outWidth], node.output[0]);
};

/** Indices of a transpose of one observation's tensor (perm without the batch axis). */
function transposeIndices(shape: readonly number[], perm: readonly number[]): { indices: Int32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const size = sizeOf(shape);
  const indices = new Int32Array(size);
  const coord = new Array(outShape.length).fill(0);
  for (let o = 0; o < size; o++) {
    let from = 0;
    for (let j = 0; j < perm.length; j++) from += coord[j] * inStrides[perm[j]];
    indices[o] = from;
    for (let j = outShape.length - 1; j >= 0; j--) {
      if (++coord[j] < outShape[j]) break;
      coord[j] = 0;
    }
  }
  return { indices, shape: outShape };
}

const lowerTranspose: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const rank = x.shape.length + 1;
  const perm = getIntsAttr(node, 'perm', [...Array(rank).keys()].reverse());
  if (perm.length !== rank || perm[0] !== 0) l.fail(node, `has perm [${perm.join(', ')}]; only permutations that keep the batch axis first are supported`);
  const { indices, shape } = transposeIndices(x.shape, perm.slice(1).map((p) => p - 1));
  l.emit({ kind: 'gather', node: node.name ?? '', input: x.buffer, output: l.buffer(indices.length), indices }, shape, node.output[0]);
};

const lowerFlatten: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const rank = x.shape.length + 1;
  const axis = getIntAttr(node, 'axis', 1);
  if ((axis < 0 ? axis + rank : axis) !== 1) l.fail(node, `has axis ${axis}; only axis 1 (keep the batch axis) is supported`);
  l.alias(node, x, [sizeOf(x.shape)]);
};

const lowerReshape: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const target = Array.from(l.constant(node, 1, 'shape').values);
  if (target.length < 1 || !(target[0] === 0 || target[0] === -1)) {
    l.fail(node, `reshapes to [${target.join(', ')}]; the first dimension must stay the batch (0 or -1)`);
  }
  const rest = target.slice(1).map((d, i) => (d === 0 ? x.shape[i] : d));
  const known = sizeOf(rest.filter((d) => d !== -1));
  const inferred = rest.filter((d) => d === -1).length;
  if (inferred > 1 || (target[0] === -1 && inferred > 0)) l.fail(node, `reshapes to [${target.join(', ')}] with more than one -1`);
  const shape = rest.map((d) => (d === -1 ? sizeOf(x.shape) / known : d));
  l.alias(node, x, shape);
};

const lowerPassThrough: Lowerer = (node, l) => {
  // torch writes Identity of a parameter when two layers share one: the output is that constant.
  if (l.constants.tryFold(node)) return;
  const x = l.placed(node, 0);
  l.alias(node, x, x.shape);
};

function reduceAxes(node: NodeProto, l: Lowering): number[] {
  const fromInput = node.input[1] ? Array.from(l.constant(node, 1, 'axes').values) : null;
  return fromInput ?? getIntsAttr(node, 'axes', []);
}

const lowerReduceMean: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const axes = reduceAxes(node, l);
  if (x.shape.length !== 1 || axes.length !== 1 || !(axes[0] === 1 || axes[0] === -1) || getIntAttr(node, 'keepdims', 1) !== 1) {
    l.fail(node, 'is supported only as mean(A) over the actions (axes [1], keepdims 1) in a dueling head');
  }
  l.values.set(node.output[0], { deferred: 'mean', of: x, node });
};

function lowerAddConstant(node: NodeProto, l: Lowering, x: Placed, c: Constant, sign: 1 | -1): void {
  const constant = broadcastBias(node, l, c, x.shape).map((v) => sign * v);
  l.emit({ kind: 'add-constant', node: node.name ?? '', input: x.buffer, output: l.buffer(constant.length), constant }, x.shape, node.output[0]);
}

function lowerConstantOp(node: NodeProto, l: Lowering, x: Placed, c: Constant, op: 'mul' | 'div'): void {
  const constant = broadcastBias(node, l, c, x.shape, op === 'mul' ? 'multiplies' : 'divides');
  l.emit({ kind: 'constant-op', node: node.name ?? '', op, input: x.buffer, output: l.buffer(constant.length), constant }, x.shape, node.output[0]);
}

const dropLeadingOnes = (shape: readonly number[]) => {
  const s = shape.slice();
  while (s.length && s[0] === 1) s.shift();
  return s;
};

/** Two computed tensors combined elementwise: the same shape, or one of them a single value per observation. */
function lowerBinary(node: NodeProto, l: Lowering, a: Placed, b: Placed, op: 'add' | 'sub' | 'mul' | 'div'): void {
  const [sa, sb] = [sizeOf(a.shape), sizeOf(b.shape)];
  const same = dropLeadingOnes(a.shape).join() === dropLeadingOnes(b.shape).join();
  if (!same && sa !== 1 && sb !== 1) l.fail(node, `combines [${a.shape.join(', ')}] and [${b.shape.join(', ')}] tensors; only equal shapes or one value per observation broadcast are supported`);
  const shape = sa >= sb ? a.shape : b.shape;
  const size = Math.max(sa, sb);
  l.emit(
    { kind: 'binary', node: node.name ?? '', op, input: a.buffer, other: b.buffer, output: l.buffer(size), size, inputScalar: sa === 1 && size > 1, otherScalar: sb === 1 && size > 1 },
    shape,
    node.output[0],
  );
}

/** A deferred mean(A) computed into its own buffer (for V + A − mean(A) written without brackets). */
function materializeMean(l: Lowering, name: string, mean: Deferred): Placed {
  const size = sizeOf(mean.of.shape);
  const output = l.buffer(1);
  l.steps.push({ kind: 'mean', node: mean.node.name ?? '', input: mean.of.buffer, output, size });
  const placed: Placed = { buffer: output, shape: mean.of.shape.map(() => 1) };
  l.values.set(name, placed);
  return placed;
}

const lowerSub: Lowerer = (node, l) => {
  const [a, b] = node.input.map((name) => l.values.get(name));
  const c = l.constants.get(node.input[1]);
  if (c && a) return lowerAddConstant(node, l, l.placed(node, 0), c, -1);
  if (a && b && isDeferred(b) && b.deferred === 'mean' && !isDeferred(a)) {
    // A − mean(A): the bracketed dueling head, V + (A − mean(A)); (V + A) − mean(A) computes the mean on its own.
    if (a.buffer === b.of.buffer) {
      l.values.set(node.output[0], { deferred: 'centred', of: a, node });
      return;
    }
    return lowerBinary(node, l, a, materializeMean(l, node.input[1], b), 'sub');
  }
  if (a && b && !isDeferred(a) && !isDeferred(b)) return lowerBinary(node, l, a, b, 'sub');
  l.fail(node, 'is supported only as A − constant, A − B of computed tensors or A − mean(A) in a dueling head');
};

const lowerAdd: Lowerer = (node, l) => {
  const [a, b] = node.input.map((name) => l.values.get(name));
  const [ca, cb] = node.input.map((name) => l.constants.get(name));
  if (a && cb) return lowerAddConstant(node, l, l.placed(node, 0), cb, 1);
  if (b && ca) return lowerAddConstant(node, l, l.placed(node, 1), ca, 1);
  const centredAt = [a, b].findIndex((v) => v !== undefined && isDeferred(v) && v.deferred === 'centred');
  if (centredAt >= 0) {
    const advantage = ([a, b][centredAt] as Deferred).of;
    const value = l.placed(node, 1 - centredAt);
    if (sizeOf(value.shape) !== 1) l.fail(node, `adds a [${value.shape.join(', ')}] value to the centred advantage; the dueling head needs V of size 1`);
    const actions = sizeOf(advantage.shape);
    l.emit({ kind: 'dueling', node: node.name ?? '', input: advantage.buffer, value: value.buffer, output: l.buffer(actions), actions }, advantage.shape, node.output[0]);
    return;
  }
  if (a && b) return lowerBinary(node, l, l.placed(node, 0), l.placed(node, 1), 'add');
  l.fail(node, 'is supported only as tensor + constant (a bias), tensor + tensor or as the dueling head V + (A − mean(A))');
};

const lowerMul: Lowerer = (node, l) => {
  if (lowerInt8Mul(node, l)) return;
  const [a, b] = node.input.map((name) => l.values.get(name));
  const [ca, cb] = node.input.map((name) => l.constants.get(name));
  if (a && cb) return lowerConstantOp(node, l, l.placed(node, 0), cb, 'mul');
  if (b && ca) return lowerConstantOp(node, l, l.placed(node, 1), ca, 'mul');
  if (a && b) return lowerBinary(node, l, l.placed(node, 0), l.placed(node, 1), 'mul');
  l.fail(node, 'is supported only as tensor × constant or tensor × tensor');
};

const lowerDiv: Lowerer = (node, l) => {
  const [a, b] = node.input.map((name) => l.values.get(name));
  const cb = l.constants.get(node.input[1]);
  if (a && cb) return lowerConstantOp(node, l, l.placed(node, 0), cb, 'div');
  if (a && b) return lowerBinary(node, l, l.placed(node, 0), l.placed(node, 1), 'div');
  l.fail(node, 'is supported only as tensor ÷ constant or tensor ÷ tensor');
};

const lowerPRelu: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const slope = broadcastBias(node, l, l.constant(node, 1, 'slope'), x.shape, 'applies');
  l.emit({ kind: 'prelu', node: node.name ?? '', input: x.buffer, output: l.buffer(slope.length), slope }, x.shape, node.output[0]);
};

// Inference form (training_mode 0): y = (x − mean) / sqrt(var + ε) · scale + B per channel (axis 1), computed
// as onnxruntime does: x · s + (B − mean · s) with s = scale / sqrt(var + ε) in float32. (Validation refuses the
// training form.)
const lowerBatchNormalization: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => l.constant(node, i, ['scale', 'B', 'input_mean', 'input_var'][i - 1]));
  const channels = x.shape[0];
  if (x.shape.length < 1 || [scale, bias, mean, variance].some((c) => c.values.length !== channels)) {
    l.fail(node, `normalizes a [batch, ${x.shape.join(', ')}] tensor with statistics of ${scale.values.length} channels`);
  }
  const epsilon = getFloatAttr(node, 'epsilon', 1e-5);
  const f = Math.fround;
  const s = scale.values.map((g, c) => f(g * f(1 / f(Math.sqrt(f(variance.values[c] + epsilon))))));
  const shift = bias.values.map((b, c) => f(b - f(mean.values[c] * s[c])));
  const perChannel = (v: Float32Array): Constant => ({ dims: [channels, ...x.shape.slice(1).map(() => 1)], values: v, dataType: DataType.FLOAT });
  const scaledName = `${node.output[0]} (scaled)`;
  lowerConstantOp({ ...node, output: [scaledName] } as NodeProto, l, x, perChannel(s), 'mul');
  const scaled = l.values.get(scaledName) as Placed;
  lowerAddConstant(node, l, scaled, perChannel(shift), 1);
};

const lowerLayerNormalization: Lowerer = (node, l) => {
  const x = l.placed(node, 0);
  const rank = x.shape.length + 1;
  const attr = getIntAttr(node, 'axis', -1);
  const axis = attr < 0 ? attr + rank : attr;
  if (axis < 1 || axis >= rank) l.fail(node, `has axis ${attr}; only axes after the batch axis are supported`);
  const groupSize = sizeOf(x.shape.slice(axis - 1));
  const normalized = x.shape.slice(axis - 1);
  const scale = broadcastConstant(l.constant(node, 1, 'Scale'), normalized);
  const b = l.optionalConstant(node, 2, 'B');
  const bias = b ? broadcastConstant(b, normalized) : null;
  if (!scale || (b && !bias)) return l.fail(node, `has a Scale or B that does not broadcast to the normalized [${normalized.join(', ')}] values`);
  const step = {
    kind: 'layer-norm' as const, node: node.name ?? '', input: x.buffer, output: l.buffer(sizeOf(x.shape)),
    groups: sizeOf(x.shape) / groupSize, groupSize, epsilon: getFloatAttr(node, 'epsilon', 1e-5), scale, bias,
  };
  l.emit(step, x.shape, node.output[0]);
};

// Cast of a constant folds; of a computed tensor, to float32 it is the identity (the program computes in float32,
// and SB3 exports Flatten(Cast(obs)) on a float input). Other targets would change the values.
const lowerCast: Lowerer = (node, l) => {
  if (l.constants.tryFold(node) || lowerInt8Cast(node, l)) return;
  const to = getIntAttr(node, 'to', 0);
  if (to !== DataType.FLOAT) l.fail(node, `casts a computed tensor to ${DataType[to] ?? to}; only a cast to FLOAT (a no-op here) is supported`);
  const x = l.placed(node, 0);
  l.alias(node, x, x.shape);
};

const LOWERERS: Record<string, Lowerer> = {
  Gemm: lowerGemm,
  MatMul: lowerMatMul,
  Add: lowerAdd,
  Sub: lowerSub,
  Mul: lowerMul,
  Div: lowerDiv,
  PRelu: lowerPRelu,
  BatchNormalization: lowerBatchNormalization,
  LayerNormalization: lowerLayerNormalization,
  Cast: lowerCast,
  Conv: lowerConv,
  Relu: activationLowerer(() => ({ kind: 'relu' })),
  LeakyRelu: activationLowerer((n) => ({ kind: 'leaky-relu', alpha: getFloatAttr(n, 'alpha', 0.01) })),
  Elu: activationLowerer((n) => ({ kind: 'elu', alpha: getFloatAttr(n, 'alpha', 1) })),
  // Defaults from the ONNX operator spec.
  Selu: activationLowerer((n) => ({ kind: 'selu', alpha: getFloatAttr(n, 'alpha', 1.67326319217681884765625), gamma: getFloatAttr(n, 'gamma', 1.05070102214813232421875) })),
  Tanh: activationLowerer(() => ({ kind: 'tanh' })),
  Sigmoid: activationLowerer(() => ({ kind: 'sigmoid' })),
  Softplus: activationLowerer(() => ({ kind: 'softplus' })),
  Erf: activationLowerer(() => ({ kind: 'erf' })),
  HardSigmoid: activationLowerer((n) => ({ kind: 'hard-sigmoid', alpha: getFloatAttr(n, 'alpha', 0.2), beta: getFloatAttr(n, 'beta', 0.5) })),
  HardSwish: activationLowerer(() => ({ kind: 'hard-swish' })),
  Abs: activationLowerer(() => ({ kind: 'abs' })),
  Softsign: activationLowerer(() => ({ kind: 'softsign' })),
  // Clip before opset 11 has min/max attributes, from 11 on optional constant inputs.
  Clip: activationLowerer((n, l) => ({
    kind: 'clip',
    min: scalarInput(n, l, 1, getFloatAttr(n, 'min', -Infinity)),
    max: scalarInput(n, l, 2, getFloatAttr(n, 'max', Infinity)),
  })),
  Transpose: lowerTranspose,
  Flatten: lowerFlatten,
  Reshape: lowerReshape,
  ...Object.fromEntries(PASS_THROUGH_OPS.map((op) => [op, lowerPassThrough])),
  ReduceMean: lowerReduceMean,
  ...INT8_LOWERERS,
};

/** The op types the generators accept, for messages. */
const COMPILABLE_OPS = [...Object.keys(LOWERERS).map((op) => (op === 'Cast' ? 'Cast (of constants, or to FLOAT)' : op)), 'Constant'];

/** The nodes `output` depends on, in topological order (a second output's head is not compiled). */
function nodesFor(graph: GraphProto, output: string): NodeProto[] {
  const order = topologicalOrder(graph);
  const needed = new Set([output]);
  const kept: NodeProto[] = [];
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    if (!node.output.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input) if (input) needed.add(input);
  }
  return kept.reverse();
}

/**
 * The program of `model` — the model the runtimes run, from runtimePolicyModel, for files from elsewhere —
 * for the env `spec`. A float16 model is widened to float32 first (widenFloat16: the same weights, float32
 * arithmetic), so no float16 cast reaches the lowering. An actions-only file (no Q-values) or an op outside
 * COMPILABLE_OPS is a UsageError naming it.
 */
export function lowerPolicy(model: ModelProto, spec: EnvSpec, info: PolicyFileInfo, source: Program['source'], options: LowerOptions = {}): Program {
  const target = options.target ?? 'code generation';
  if (info.output === 'actions') {
    throw new UsageError(
      `${target}: output '${info.outputName}' gives actions only (no float Q-values can be read behind it), and the generated code computes Q-values; export the network's Q-values (without the step that turns them into actions)`,
    );
  }
  const widened = widenFloat16(model);
  const graph = (widened ?? model).graph!;
  const l = new Lowering(new ConstantTable(graph.initializer ?? []), target, options.batches ?? false);
  const observationSize = sizeOf(spec.observationShape);
  const observation = l.buffer(observationSize);
  if (info.inputLayout === 'nchw') {
    // The program takes HWC like every runtime; the file wants CHW.
    const { indices, shape } = transposeIndices(spec.observationShape, [2, 0, 1]);
    l.emit({ kind: 'gather', node: 'input HWC → CHW', input: observation, output: l.buffer(observationSize), indices }, shape, info.inputName);
  } else {
    l.values.set(info.inputName, { buffer: observation, shape: spec.observationShape });
  }
  for (const node of nodesFor(graph, info.outputName)) {
    const defaultDomain = isDefaultDomain(node.domain);
    const lower = defaultDomain ? LOWERERS[node.opType] : undefined;
    if (lower) {
      lower(node, l);
      continue;
    }
    if (defaultDomain && l.constants.tryFold(node)) continue;
    throw new UsageError(`${target} supports ${COMPILABLE_OPS.join(', ')}; node '${node.name || node.output[0]}' is ${defaultDomain ? '' : `${node.domain}.`}${node.opType}`);
  }
  const value = l.values.get(info.outputName);
  // onnxruntime's QDQ files may end in QuantizeLinear → DequantizeLinear of the Q-values.
  const out = value && !isHeadPart(value) && isInt8Value(value) && value.deferred === 'dequantized' ? l.dequantizedOutput(info.outputName, value) : value;
  if (!out || isDeferred(out)) throw new UsageError(`${target}: output '${info.outputName}' is not computed by supported nodes`);
  if (sizeOf(out.shape) !== spec.actionCount) throw new UsageError(`${target}: output '${info.outputName}' has ${sizeOf(out.shape)} values per observation, but ${spec.id} has ${spec.actionCount} actions`);
  const program: Program = {
    env: spec.id,
    observationShape: [...spec.observationShape],
    observationSize,
    actionCount: spec.actionCount,
    output: info.output,
    fileLayout: info.inputLayout,
    weights: options.weights ?? 'float32',
    source,
    notes: [...info.notes, ...(widened ? ['float16 weights widened to float32: the code computes in float32'] : [])],
    buffers: l.buffers,
    steps: l.steps,
    result: out.buffer,
  };
  return compact(setWeightFormat(fuse(program)));
}
