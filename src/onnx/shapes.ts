// Static shape inference over a validated graph, with each node's semantics checked on the way, so that a
// file which decodes but cannot run (a Gemm whose transA makes the inner dimensions differ, a bias of 16×1
// that does not broadcast to [batch, 16], a Reshape that ties the batch to 7, a declared output shape the
// graph does not make) is refused once, up front, in one line naming the node and the shapes — instead of
// a runtime's error on the first call, or a wrong answer. Dims flow from the graph inputs and the
// initializers through every operator of ops.ts. A symbolic or unknown leading dim of an input is the
// batch and must stay free: a node that would run at one batch size only (even 1: batched calls would
// fail) is refused — a file exported at batch 1 says 1, and is read with that number. Other symbolic dims
// may take any size a node needs. Small integer tensors (shapes, axes) are followed by value so that
// torch's Shape → Gather → Concat → Reshape resolves. What cannot be told statically stays unknown and is
// never refused. The rules are the ONNX operator spec's (and
// onnxruntime's, where it is stricter: Gemm takes 2-D A and B, pooling takes rank 3 or more). Pure
// TypeScript: onnxruntime's own inference is not reachable from JavaScript.
import { describeNode, getIntAttr, getIntsAttr, getStringAttr, valueInfoDims } from './graph.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto } from './proto.js';
import { OnnxFormatError, quoteName } from './schema.js';
import { isDefaultDomain, opFacts } from './ops.js';
import { DataType, isIntegerType, tensorElementCount, tensorToFloat64 } from './tensor.js';
import {
  bindToNumber, dimDiv, dimEquals, dimMul, dimProduct, formatDim, formatShape, freshSymbol, isSymbolic, sameDim, symbol, symbolsOf,
  type Dim,
} from './dims.js';
import { MAX_TENSOR_ELEMENTS } from './limits.js';

/** What is known of a tensor: its dims (null: unknown rank) and, for small integer tensors, its values. */
export interface TensorShape {
  dims: Dim[] | null;
  /** The elements of a rank-0 or rank-1 integer tensor (shapes, axes, indices), when they are known. */
  value?: Dim[];
}

/** The shapes of a graph's tensors and which symbols are batch dimensions. */
export interface GraphShapes {
  /** Every tensor's shape by name: graph inputs, initializers, and each node's outputs. */
  shapes: Map<string, TensorShape>;
  /** The symbols of the graph inputs' leading dims: a batch, free to take any size. */
  batch: ReadonlySet<string>;
}

/** Integer tensors up to this many elements have their values followed (shapes, axes, indices). */
const MAX_TRACKED_VALUES = 64;

const UNKNOWN: TensorShape = { dims: null };

/** A failed check on one node: its message without the node's name (added by the caller). */
class NodeShapeError extends Error {}

function fail(message: string): never {
  throw new NodeShapeError(message);
}

const show = formatShape;

function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return Number.isSafeInteger(a + b) ? a + b : null;
  if (a === 0) return b;
  if (b === 0) return a;
  if (isSymbolic(a) && isSymbolic(b) && a.syms.length === b.syms.length && a.syms.every((s, i) => s === b.syms[i])) {
    return { coef: a.coef + b.coef, syms: a.syms };
  }
  return null;
}

/** The batch size at which `d` (holding a batch symbol) is `n`, in words. */
function batchValue(d: Dim, n: number): string {
  return isSymbolic(d) && d.syms.length === 1 && n % d.coef === 0 ? String(n / d.coef) : 'one size';
}

/** What tying `d` to `n` does to the batch, in words. */
function tiesBatch(d: Dim, n: number): string {
  return `ties the batch to ${batchValue(d, n)}, so the model would run at no other batch size`;
}

/** The dim with every symbol set to 1 (a batch of 1), or null when unknown. */
function atBatchOne(d: Dim): number | null {
  if (d === null) return null;
  return typeof d === 'number' ? d : d.coef;
}

/** Elements of a shape with every symbol at 1 (null when some dim is unknown). */
function elementsAtBatchOne(dims: readonly Dim[]): number | null {
  let n = 1;
  for (const d of dims) {
    const v = atBatchOne(d);
    if (v === null) return null;
    n *= v;
  }
  return n;
}

class Inference {
  readonly shapes = new Map<string, TensorShape>();
  readonly batch = new Set<string>();

  constructor(private readonly opset: number) {}

  get(name: string | undefined): TensorShape {
    return (name && this.shapes.get(name)) || UNKNOWN;
  }

  /** The input's shape, or undefined when the input is absent ('' or past the end). */
  optional(node: NodeProto, index: number): TensorShape | undefined {
    const name = node.input[index];
    return name ? this.get(name) : undefined;
  }

  // --- dims that must agree -------------------------------------------------------------------------------

  /**
   * Two dims that must be the same (inner dimensions, non-concatenated axes): the dim they agree on, or a
   * failure that says what differs. `what` names the pair for the message.
   */
  same(a: Dim, b: Dim, what: () => string): Dim {
    if (a === null) return b;
    if (b === null) return a;
    const equal = dimEquals(a, b);
    if (equal === true) return a;
    if (equal === false) fail(`${what()}: ${formatDim(a)} ≠ ${formatDim(b)}`);
    if (typeof a === 'number' || typeof b === 'number') {
      const [n, d] = typeof a === 'number' ? [a, b] : [b as number, a];
      const bound = bindToNumber(d, n, this.batch);
      if (bound === 'impossible') fail(`${what()}: ${formatDim(a)} ≠ ${formatDim(b)}`);
      if (bound === 'fixes-batch') fail(`${what()}: ${formatDim(a)} against ${formatDim(b)}, which ${tiesBatch(d, n)}`);
      return n;
    }
    return a;
  }

  /** Multidirectional (numpy) broadcasting of several shapes; null when a rank is unknown. */
  broadcast(shapes: (Dim[] | null)[], what: () => string): Dim[] | null {
    if (shapes.some((s) => s === null)) return null;
    const known = shapes as Dim[][];
    const rank = known.reduce((r, s) => Math.max(r, s.length), 0);
    const out: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      let d: Dim = 1;
      for (const s of known) {
        const x = s[s.length - rank + i] ?? 1;
        d = this.broadcastDim(d, x, () => `${what()} (${known.map(show).join(' and ')})`);
      }
      out.push(d);
    }
    return out;
  }

  private broadcastDim(a: Dim, b: Dim, what: () => string): Dim {
    if (a === 1) return b;
    if (b === 1) return a;
    if (a === null || b === null) {
      const other = a === null ? b : a;
      return typeof other === 'number' ? other : null;
    }
    const equal = dimEquals(a, b);
    if (equal === true) return a;
    if (equal === false) fail(`${what()} do not broadcast: ${formatDim(a)} against ${formatDim(b)}`);
    if (typeof a === 'number' || typeof b === 'number') {
      const [n, d] = typeof a === 'number' ? [a, b] : [b as number, a];
      if (symbolsOf(d).some((s) => this.batch.has(s))) {
        fail(`${what()} broadcast only at a batch of ${atBatchOne(d) === n ? '1' : `1 or ${batchValue(d, n)}`}: ${formatDim(a)} against ${formatDim(b)}`);
      }
      return n;
    }
    return null;
  }

  /** Unidirectional broadcasting: `from` must broadcast to `to` (each dim 1 or the same), `to` is kept. */
  unidirectional(from: Dim[] | null, to: Dim[] | null, what: () => string, target = 'the shape'): void {
    if (!from || !to) return;
    const problem = () => fail(`${what()} ${show(from)} does not broadcast to ${target} ${show(to)} (each of its dimensions must be 1 or the same as there)`);
    if (from.length > to.length) problem();
    for (let i = 0; i < from.length; i++) {
      const f = from[i];
      const t = to[to.length - from.length + i];
      if (f === 1 || f === null || t === null) continue;
      const equal = dimEquals(f, t);
      if (equal === true) continue;
      if (equal === false) problem();
      if (typeof f === 'number') {
        // t symbolic: f must be that size — fine for ordinary symbols, not for a batch.
        if (bindToNumber(t, f, this.batch) !== 'ok') problem();
      } else if (typeof t === 'number') {
        // f symbolic: it may be 1 or t, unless that cannot be.
        if (bindToNumber(f, 1, this.batch) !== 'ok' && bindToNumber(f, t, this.batch) === 'impossible') problem();
      }
    }
  }

  axis(value: number, rank: number, name: string, x: Dim[], { inclusive = false } = {}): number {
    const top = inclusive ? rank : rank - 1;
    const a = value < 0 ? value + rank : value;
    if (!Number.isInteger(a) || a < 0 || a > top) fail(`${name} ${value} is outside ${inclusive ? `[-${rank}, ${rank}]` : `[-${rank}, ${rank - 1}]`} for input ${show(x)}`);
    return a;
  }

  /** A list of ints given by attribute (older opsets) or by a constant input (newer ones); null when not known. */
  listArg(node: NodeProto, attr: string, input: number): Dim[] | undefined | null {
    const fromAttr = getIntsAttr(node, attr);
    if (fromAttr) return fromAttr;
    if (!node.input[input]) return undefined;
    return this.get(node.input[input]).value ?? null;
  }

  // --- the operators --------------------------------------------------------------------------------------

  infer(node: NodeProto): TensorShape[] {
    const op = node.opType;
    const x = this.get(node.input[0]);
    const facts = opFacts(op);
    switch (facts?.kind) {
      case 'gemm':
        return [this.gemm(node)];
      case 'matmul':
        return [this.matmul(node, op === 'QLinearMatMul' ? 3 : 1)];
      case 'convolution':
        return [this.conv(node, facts.weightInput!)];
      case 'pooling': {
        const out = this.pool(node);
        return [out, out];
      }
      case 'pass-through':
        return [x, { dims: x.dims }];
    }
    switch (op) {
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Pow':
      case 'Max':
      case 'Min':
      case 'Greater':
      case 'Less':
        return [this.elementwise(node)];
      case 'PRelu': {
        if (this.opset >= 7) this.unidirectional(this.get(node.input[1]).dims, x.dims, () => 'slope', "the input's");
        return [{ dims: x.dims }];
      }
      case 'Softmax':
      case 'LogSoftmax':
        if (x.dims && x.dims.length > 0) this.axis(getIntAttr(node, 'axis', this.opset >= 13 ? -1 : 1), x.dims.length, 'axis', x.dims);
        return [{ dims: x.dims }];
      case 'Clip':
        for (const [i, name] of [[1, 'min'], [2, 'max']] as const) {
          const bound = this.optional(node, i);
          const n = bound?.dims ? elementsAtBatchOne(bound.dims) : null;
          if (bound?.dims && n !== null && (n !== 1 || bound.dims.length > 1)) fail(`${name} ${show(bound.dims)} is not a scalar`);
        }
        return [{ dims: x.dims }];
      case 'Cast': {
        const to = getIntAttr(node, 'to', 0);
        return [{ dims: x.dims, value: isIntegerType(to) ? x.value?.map((v) => (typeof v === 'number' ? Math.trunc(v) : v)) : undefined }];
      }
      case 'QuantizeLinear':
      case 'DequantizeLinear':
        this.quantizeParameters(node, x);
        return [{ dims: x.dims }];
      case 'DynamicQuantizeLinear':
        return [{ dims: x.dims }, { dims: [] }, { dims: [] }];
      case 'GlobalAveragePool':
        if (x.dims && x.dims.length < 3) fail(`input ${show(x.dims)} has rank ${x.dims.length}; GlobalAveragePool takes [N, C, spatial…] (rank 3 or more)`);
        return [{ dims: x.dims ? [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)] : null }];
      case 'BatchNormalization':
        return this.batchNormalization(node, x);
      case 'LayerNormalization':
        return this.layerNormalization(node, x);
      case 'Flatten':
        return [this.flatten(node, x)];
      case 'Reshape':
        return [this.reshape(node, x)];
      case 'Transpose':
        return [this.transpose(node, x)];
      case 'Squeeze':
        return [this.squeeze(node, x)];
      case 'Unsqueeze':
        return [this.unsqueeze(node, x)];
      case 'Concat':
        return [this.concat(node)];
      case 'Shape':
        return [this.shape(node, x)];
      case 'Gather':
        return [this.gather(node, x, this.get(node.input[1]))];
      case 'Slice':
        return [this.slice(node, x)];
      case 'Constant':
        return [constantShape(node)];
      case 'ConstantOfShape':
        return [this.constantOfShape(x)];
      case 'ReduceMean':
      case 'ReduceMax':
      case 'ReduceSum':
        return [this.reduce(node, x)];
      case 'ArgMax': {
        if (!x.dims) return [UNKNOWN];
        const axis = this.axis(getIntAttr(node, 'axis', 0), x.dims.length, 'axis', x.dims);
        return [{ dims: reduced(x.dims, new Set([axis]), getIntAttr(node, 'keepdims', 1) !== 0) }];
      }
      case 'TopK':
        return this.topK(node, x);
      case 'Pad':
        return [this.pad(node, x)];
    }
    // The same-shape activations (Relu, Tanh, …, Identity-like).
    if (facts?.kind === 'same-shape') return [{ dims: x.dims }];
    return node.output.map(() => UNKNOWN);
  }

  private elementwise(node: NodeProto): TensorShape {
    const inputs = node.input.filter((n) => n !== '').map((n) => this.get(n));
    // Before opset 7, Add & co. broadcast only with broadcast=1 and an axis: not checked.
    const dims = this.opset < 7 ? (inputs.every((s) => s.dims && inputs[0].dims && sameShape(s.dims, inputs[0].dims)) ? inputs[0].dims : null) : this.broadcast(inputs.map((s) => s.dims), () => 'inputs');
    return { dims, value: elementwiseValue(node.opType, inputs, dims) };
  }

  private gemm(node: NodeProto): TensorShape {
    const a = this.get(node.input[0]).dims;
    const b = this.get(node.input[1]).dims;
    if (a && a.length !== 2) fail(`A ${show(a)} is not 2-D; Gemm multiplies matrices (use MatMul for batched products)`);
    if (b && b.length !== 2) fail(`B ${show(b)} is not 2-D; Gemm multiplies matrices`);
    const transA = getIntAttr(node, 'transA', 0) !== 0;
    const transB = getIntAttr(node, 'transB', 0) !== 0;
    const [m, ka] = a ? (transA ? [a[1], a[0]] : [a[0], a[1]]) : [null, null];
    const [kb, n] = b ? (transB ? [b[1], b[0]] : [b[0], b[1]]) : [null, null];
    const side = (name: string, dims: Dim[] | null, t: boolean) => `${name} ${show(dims)}${t && dims ? ` (${name === 'A' ? 'transA' : 'transB'}=1: ${show([dims[1], dims[0]])})` : ''}`;
    this.same(ka, kb, () => `inner dimensions differ: ${side('A', a, transA)} against ${side('B', b, transB)}`);
    const out: Dim[] = [m, n];
    const c = this.optional(node, 2);
    if (c && this.opset >= 7) this.unidirectional(c.dims, out, () => 'bias C', "the output's");
    return { dims: out };
  }

  private matmul(node: NodeProto, bInput: number): TensorShape {
    const a = this.get(node.input[0]).dims;
    const b = this.get(node.input[bInput]).dims;
    if (!a || !b) return UNKNOWN;
    if (a.length === 0 || b.length === 0) fail(`${a.length === 0 ? `A ${show(a)}` : `B ${show(b)}`} is a scalar; ${node.opType} takes tensors of rank 1 or more`);
    const a2 = a.length === 1 ? [1, a[0]] : a;
    const b2 = b.length === 1 ? [b[0], 1] : b;
    this.same(a2[a2.length - 1], b2[b2.length - 2], () => `inner dimensions differ: A ${show(a)} against B ${show(b)}`);
    const batch = this.broadcast([a2.slice(0, -2), b2.slice(0, -2)], () => `batch dimensions of A ${show(a)} and B ${show(b)}`);
    return { dims: [...(batch ?? []), ...(a.length >= 2 ? [a2[a2.length - 2]] : []), ...(b.length >= 2 ? [b2[b2.length - 1]] : [])] };
  }

  /** Output sizes of a sliding window over `spatial` (Conv and pooling). */
  private window(node: NodeProto, x: Dim[], kernel: Dim[], ceil: boolean): Dim[] {
    const spatial = x.slice(2);
    const r = spatial.length;
    const strides = getIntsAttr(node, 'strides') ?? new Array<number>(r).fill(1);
    const dilations = getIntsAttr(node, 'dilations') ?? new Array<number>(r).fill(1);
    const pads = getIntsAttr(node, 'pads') ?? new Array<number>(2 * r).fill(0);
    const autoPad = getStringAttr(node, 'auto_pad') ?? 'NOTSET';
    return spatial.map((size, i) => {
      const k = kernel[i];
      const s = strides[i] ?? 1;
      const d = dilations[i] ?? 1;
      if (typeof size !== 'number' || typeof k !== 'number') return null;
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / s);
      const span = d * (k - 1) + 1;
      const begin = autoPad === 'VALID' ? 0 : (pads[i] ?? 0);
      const padded = autoPad === 'VALID' ? size : size + begin + (pads[i + r] ?? 0);
      if (padded < span) {
        fail(`its window spans ${span} along spatial axis ${i} (kernel ${k}${d > 1 ? `, dilation ${d}` : ''}), more than the ${padded} of input ${show(x)}${padded !== size ? ' with its padding' : ''}`);
      }
      let out = (ceil ? Math.ceil((padded - span) / s) : Math.floor((padded - span) / s)) + 1;
      // With ceil_mode the last window must start inside the input or its left padding.
      if (ceil && (out - 1) * s >= size + begin) out--;
      return out;
    });
  }

  private conv(node: NodeProto, weightInput: number): TensorShape {
    const x = this.get(node.input[0]).dims;
    const w = this.get(node.input[weightInput]).dims;
    if (x && x.length < 3) fail(`input ${show(x)} has rank ${x.length}; ${node.opType} takes [N, C, spatial…] (rank 3 or more)`);
    if (x && w && w.length !== x.length) fail(`weight ${show(w)} has rank ${w.length} but input ${show(x)} has rank ${x.length}`);
    const group = getIntAttr(node, 'group', 1);
    const outChannels = w ? w[0] : null;
    if (x && w) {
      this.same(x[1], dimMul(w[1], group), () => `input channels differ: input ${show(x)} has ${formatDim(x[1])}, weight ${show(w)}${group > 1 ? ` × group ${group}` : ''} takes`);
    }
    if (typeof outChannels === 'number' && outChannels % group !== 0) fail(`weight ${show(w)} has ${outChannels} output channels, not a multiple of group ${group}`);
    const bias = this.optional(node, node.opType === 'QLinearConv' ? 8 : node.opType === 'Conv' ? 2 : -1);
    if (bias?.dims) {
      if (bias.dims.length !== 1) fail(`bias ${show(bias.dims)} is not 1-D; it holds one value per output channel`);
      this.same(bias.dims[0], outChannels, () => `bias ${show(bias.dims)} and weight ${show(w)} disagree on the output channels`);
    }
    if (!x) return UNKNOWN;
    const kernel: Dim[] = getIntsAttr(node, 'kernel_shape') ?? (w ? w.slice(2) : x.slice(2).map(() => null));
    return { dims: [x[0], outChannels, ...this.window(node, x, kernel, false)] };
  }

  private pool(node: NodeProto): TensorShape {
    const x = this.get(node.input[0]).dims;
    const kernel = getIntsAttr(node, 'kernel_shape') ?? [];
    if (!x) return UNKNOWN;
    if (x.length !== kernel.length + 2) fail(`kernel_shape has ${kernel.length} values, so the input should have rank ${kernel.length + 2}, but it is ${show(x)}`);
    return { dims: [x[0], x[1], ...this.window(node, x, kernel, getIntAttr(node, 'ceil_mode', 0) !== 0)] };
  }

  private quantizeParameters(node: NodeProto, x: TensorShape): void {
    const scale = this.get(node.input[1]).dims;
    const zero = this.optional(node, 2)?.dims;
    if (scale && zero && (scale.length !== zero.length || scale.some((d, i) => dimEquals(d, zero[i]) === false))) {
      fail(`scale ${show(scale)} and zero point ${show(zero)} differ in shape`);
    }
    if (!scale || !x.dims || getIntAttr(node, 'block_size', 0) > 0) return;
    if (scale.length > 1) fail(`scale ${show(scale)} is neither a scalar nor one value per channel`);
    if (scale.length === 1 && scale[0] !== 1 && x.dims.length > 0) {
      const axis = this.axis(getIntAttr(node, 'axis', 1), x.dims.length, 'axis', x.dims);
      this.same(scale[0], x.dims[axis], () => `scale ${show(scale)} should hold one value per channel of axis ${axis} of input ${show(x.dims)}`);
    }
  }

  private batchNormalization(node: NodeProto, x: TensorShape): TensorShape[] {
    if (x.dims && x.dims.length < 2) fail(`input ${show(x.dims)} has rank ${x.dims.length}; BatchNormalization takes [N, C, …]`);
    const channels = x.dims ? x.dims[1] : null;
    if (getIntAttr(node, 'spatial', 1) !== 0) {
      ['scale', 'B', 'mean', 'var'].forEach((name, i) => {
        const p = this.get(node.input[i + 1]).dims;
        if (!p) return;
        if (p.length !== 1) fail(`${name} ${show(p)} is not 1-D; it holds one value per channel`);
        this.same(p[0], channels, () => `${name} ${show(p)} should hold one value per channel of input ${show(x.dims)}`);
      });
    }
    const perChannel: TensorShape = { dims: [channels] };
    return [{ dims: x.dims }, perChannel, perChannel, perChannel, perChannel];
  }

  private layerNormalization(node: NodeProto, x: TensorShape): TensorShape[] {
    if (!x.dims) return [UNKNOWN, UNKNOWN, UNKNOWN];
    const axis = this.axis(getIntAttr(node, 'axis', -1), x.dims.length, 'axis', x.dims);
    const normalized = x.dims.slice(axis);
    this.unidirectional(this.get(node.input[1]).dims, normalized, () => 'scale', 'the normalized axes');
    const bias = this.optional(node, 2);
    if (bias) this.unidirectional(bias.dims, normalized, () => 'bias B', 'the normalized axes');
    const stats: TensorShape = { dims: x.dims.map((d, i) => (i < axis ? d : 1)) };
    return [{ dims: x.dims }, stats, stats];
  }

  private flatten(node: NodeProto, x: TensorShape): TensorShape {
    if (!x.dims) return UNKNOWN;
    const rank = x.dims.length;
    const given = getIntAttr(node, 'axis', 1);
    if (this.opset < 11 && given < 0) fail(`axis ${given} is negative, which Flatten accepts from opset 11`);
    const axis = this.axis(given, rank, 'axis', x.dims, { inclusive: true });
    return { dims: [dimProduct(x.dims.slice(0, axis)), dimProduct(x.dims.slice(axis))] };
  }

  private reshape(node: NodeProto, x: TensorShape): TensorShape {
    const shapeInput = this.opset >= 5 ? this.optional(node, 1) : undefined;
    if (this.opset >= 5 && !shapeInput) fail('has no shape input');
    if (shapeInput?.dims && shapeInput.dims.length !== 1) fail(`its shape input ${show(shapeInput.dims)} is not 1-D`);
    const target: Dim[] | undefined = this.opset >= 5 ? shapeInput!.value : (getIntsAttr(node, 'shape') ?? undefined);
    if (!target) {
      const length = shapeInput?.dims?.[0];
      return { dims: typeof length === 'number' && length <= MAX_TRACKED_VALUES ? new Array<Dim>(length).fill(null) : null };
    }
    const allowZero = getIntAttr(node, 'allowzero', 0) !== 0;
    const shown = `[${target.map(formatDim).join(', ')}]`;
    const inferAt: number[] = [];
    const dims: Dim[] = target.map((t, i) => {
      if (typeof t !== 'number') return t;
      if (t === -1) {
        inferAt.push(i);
        return null;
      }
      if (t < -1) fail(`shape ${shown} holds ${t}; only -1 (inferred) and sizes of 0 or more are allowed`);
      if (t === 0 && !allowZero) {
        if (x.dims && i >= x.dims.length) fail(`shape ${shown} copies dimension ${i} (0), but input ${show(x.dims)} has rank ${x.dims.length}`);
        return x.dims ? x.dims[i] : null;
      }
      return t;
    });
    if (inferAt.length > 1) fail(`shape ${shown} has more than one -1`);
    if (allowZero && inferAt.length && target.includes(0)) fail(`shape ${shown} has both 0 and -1 with allowzero=1`);
    const total = x.dims ? dimProduct(x.dims) : null;
    const impossible = (detail = '') => fail(`cannot reshape input ${show(x.dims)} to ${shown}${detail}`);
    if (inferAt.length === 1) {
      const known = dimProduct(dims.filter((_, i) => i !== inferAt[0]));
      const quotient = dimDiv(total, known);
      if (quotient === 'inexact') impossible(`: ${formatDim(total)} elements do not divide into ${formatDim(known)}`);
      if (quotient === null && total !== null && known !== null) {
        // Symbolic: at a batch of 1 it must still divide, and a batch must not be needed to make it divide.
        const t1 = atBatchOne(total);
        const k1 = atBatchOne(known);
        if (t1 !== null && k1 !== null && k1 > 0 && t1 % k1 !== 0) impossible(' at a batch of 1');
      }
      dims[inferAt[0]] = quotient === 'inexact' ? null : quotient;
    } else if (total !== null) {
      const product = dimProduct(dims);
      if (dimEquals(total, product) === false) impossible(`: ${formatDim(total)} elements against ${formatDim(product)}`);
      if (typeof product === 'number' && isSymbolic(total)) {
        const bound = bindToNumber(total, product, this.batch);
        if (bound === 'impossible') impossible();
        if (bound === 'fixes-batch') impossible(`: ${formatDim(total)} elements against ${product}, which ${tiesBatch(total, product)}`);
      }
    }
    return { dims, value: x.value && dims.length <= 1 ? x.value : undefined };
  }

  private transpose(node: NodeProto, x: TensorShape): TensorShape {
    if (!x.dims) return UNKNOWN;
    const rank = x.dims.length;
    const perm = getIntsAttr(node, 'perm') ?? x.dims.map((_, i) => rank - 1 - i);
    if (perm.length !== rank) fail(`perm has ${perm.length} values but input ${show(x.dims)} has rank ${rank}`);
    return { dims: perm.map((p) => x.dims![p]) };
  }

  private axesArg(node: NodeProto, inputIndex: number, sinceInput: number): Dim[] | undefined | null {
    return this.opset >= sinceInput ? (node.input[inputIndex] ? (this.get(node.input[inputIndex]).value ?? null) : undefined) : getIntsAttr(node, 'axes');
  }

  private squeeze(node: NodeProto, x: TensorShape): TensorShape {
    if (!x.dims) return UNKNOWN;
    const dims = x.dims;
    const axes = this.axesArg(node, 1, 13);
    if (axes === null) return UNKNOWN;
    if (axes === undefined) {
      if (dims.some((d) => typeof d !== 'number')) return UNKNOWN;
      return { dims: dims.filter((d) => d !== 1), value: x.value };
    }
    const drop = new Set<number>();
    for (const a of axes) {
      if (typeof a !== 'number') return UNKNOWN;
      const axis = this.axis(a, dims.length, 'axis', dims);
      const d = dims[axis];
      const bound = bindToNumber(d, 1, this.batch);
      if (bound === 'impossible') fail(`cannot squeeze axis ${axis} of input ${show(dims)}: its size is ${formatDim(d)}, not 1`);
      if (bound === 'fixes-batch') fail(`squeezing axis ${axis} of input ${show(dims)} ${tiesBatch(d, 1)}`);
      drop.add(axis);
    }
    return { dims: dims.filter((_, i) => !drop.has(i)), value: x.value };
  }

  private unsqueeze(node: NodeProto, x: TensorShape): TensorShape {
    const axes = this.axesArg(node, 1, 13);
    if (axes === undefined) fail('has no axes');
    if (!x.dims || axes === null || axes.some((a) => typeof a !== 'number')) return UNKNOWN;
    const rank = x.dims.length + axes.length;
    const at = new Set<number>();
    for (const a of axes as number[]) {
      const axis = this.axis(a, rank, 'axis', x.dims);
      if (at.has(axis)) fail(`axes name axis ${axis} twice`);
      at.add(axis);
    }
    const dims: Dim[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) dims.push(at.has(i) ? 1 : x.dims[next++]);
    return { dims, value: x.value };
  }

  private concat(node: NodeProto): TensorShape {
    const parts = node.input.filter((n) => n !== '').map((n) => this.get(n));
    const known = parts.filter((p) => p.dims) as { dims: Dim[]; value?: Dim[] }[];
    if (!known.length) return UNKNOWN;
    const rank = known[0].dims.length;
    const mismatch = known.find((p) => p.dims.length !== rank);
    if (mismatch) fail(`inputs differ in rank: ${show(known[0].dims)} and ${show(mismatch.dims)}`);
    if (rank === 0) fail('inputs are scalars; Concat joins tensors of rank 1 or more');
    const axis = this.axis(getIntAttr(node, 'axis', 0), rank, 'axis', known[0].dims);
    const dims: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      if (i === axis) {
        dims.push(known.length === parts.length ? known.reduce<Dim>((sum, p) => dimAdd(sum, p.dims[i]), 0) : null);
      } else {
        let d: Dim = null;
        for (const p of known) d = this.same(d, p.dims[i], () => `inputs differ along axis ${i}, which is not the concatenated axis ${axis} (${known.map((q) => show(q.dims)).join(', ')})`);
        dims.push(d);
      }
    }
    const values = parts.every((p) => p.value) && rank === 1 ? parts.flatMap((p) => p.value!) : undefined;
    return { dims, value: values && values.length <= MAX_TRACKED_VALUES ? values : undefined };
  }

  private shape(node: NodeProto, x: TensorShape): TensorShape {
    if (!x.dims) return { dims: [null] };
    const rank = x.dims.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = clamp(getIntAttr(node, 'start', 0));
    const end = clamp(getIntAttr(node, 'end', rank));
    const dims = x.dims.slice(start, Math.max(start, end));
    return { dims: [dims.length], value: dims.length <= MAX_TRACKED_VALUES ? dims : undefined };
  }

  private gather(node: NodeProto, data: TensorShape, indices: TensorShape): TensorShape {
    if (!data.dims) return UNKNOWN;
    if (data.dims.length === 0) fail('data is a scalar; Gather takes data of rank 1 or more');
    const axis = this.axis(getIntAttr(node, 'axis', 0), data.dims.length, 'axis', data.dims);
    const size = data.dims[axis];
    if (typeof size === 'number' && indices.value) {
      for (const i of indices.value) {
        if (typeof i === 'number' && (i < -size || i >= size)) fail(`index ${i} is out of range for axis ${axis} of data ${show(data.dims)}`);
      }
    }
    if (!indices.dims) return UNKNOWN;
    const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
    let value: Dim[] | undefined;
    if (data.value && indices.value && data.dims.length === 1) {
      const picked = indices.value.map((i) => (typeof i === 'number' ? data.value![i < 0 ? i + data.value!.length : i] : undefined));
      value = picked.every((v) => v !== undefined) ? (picked as Dim[]) : undefined;
    }
    return { dims, value };
  }

  private slice(node: NodeProto, x: TensorShape): TensorShape {
    if (!x.dims) return UNKNOWN;
    const rank = x.dims.length;
    const byInput = this.opset >= 10;
    const arg = (attr: string, input: number) => (byInput ? (node.input[input] ? (this.get(node.input[input]).value ?? null) : undefined) : getIntsAttr(node, attr));
    const starts = arg('starts', 1);
    const ends = arg('ends', 2);
    const axes = arg('axes', 3);
    const steps = byInput ? arg('', 4) : undefined;
    const unknownDims = (): TensorShape => ({ dims: x.dims!.map(() => null) });
    if (starts === undefined || ends === undefined) fail('has no starts or ends');
    if (starts === null || ends === null || axes === null || steps === null) return unknownDims();
    if (starts.length !== ends.length) fail(`starts has ${starts.length} values but ends has ${ends.length}`);
    if (axes && axes.length !== starts.length) fail(`axes has ${axes.length} values but starts has ${starts.length}`);
    if (steps && steps.length !== starts.length) fail(`steps has ${steps.length} values but starts has ${starts.length}`);
    const numbers = (list: Dim[] | undefined) => !list || list.every((v) => typeof v === 'number');
    if (!numbers(starts) || !numbers(ends) || !numbers(axes) || !numbers(steps)) return unknownDims();
    const dims = [...x.dims];
    let value = x.value && rank === 1 ? [...x.value] : undefined;
    const seen = new Set<number>();
    for (let i = 0; i < starts.length; i++) {
      const axis = this.axis((axes?.[i] as number | undefined) ?? i, rank, 'axis', x.dims);
      if (seen.has(axis)) fail(`axes name axis ${axis} twice`);
      seen.add(axis);
      const step = (steps?.[i] as number | undefined) ?? 1;
      if (step === 0) fail('a step is 0');
      const size = x.dims[axis];
      const start = starts[i] as number;
      const end = ends[i] as number;
      if (typeof size !== 'number') {
        // The whole axis (torch's x[:, a:] on another axis writes 0 … INT64_MAX): the size stays.
        dims[axis] = step === 1 && start === 0 && end >= 2 ** 31 - 1 ? size : null;
        value = undefined;
        continue;
      }
      const clampIndex = (v: number, low: number, high: number) => Math.min(Math.max(v < 0 ? v + size : v, low), high);
      const from = step > 0 ? clampIndex(start, 0, size) : clampIndex(start, 0, size - 1);
      const to = step > 0 ? clampIndex(end, 0, size) : clampIndex(end, -1, size - 1);
      const count = Math.max(0, Math.ceil((to - from) / step));
      dims[axis] = count;
      value = value && value.length === size ? Array.from({ length: count }, (_, j) => value![from + j * step]) : undefined;
    }
    return { dims, value };
  }

  private constantOfShape(x: TensorShape): TensorShape {
    if (x.dims && x.dims.length !== 1) fail(`its shape input ${show(x.dims)} is not 1-D`);
    if (x.value) {
      for (const v of x.value) if (typeof v === 'number' && v < 0) fail(`shape [${x.value.map(formatDim).join(', ')}] has a negative size`);
      return { dims: [...x.value] };
    }
    const length = x.dims?.[0];
    return { dims: typeof length === 'number' && length <= MAX_TRACKED_VALUES ? new Array<Dim>(length).fill(null) : null };
  }

  private reduce(node: NodeProto, x: TensorShape): TensorShape {
    const fromInput = node.opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const axes = fromInput ? (node.input[1] ? (this.get(node.input[1]).value ?? null) : []) : (getIntsAttr(node, 'axes') ?? []);
    const keep = getIntAttr(node, 'keepdims', 1) !== 0;
    if (!x.dims) return UNKNOWN;
    if (axes === null || axes.some((a) => typeof a !== 'number')) return keep ? { dims: x.dims.map(() => null) } : UNKNOWN;
    if (axes.length === 0) {
      if (getIntAttr(node, 'noop_with_empty_axes', 0)) return { dims: x.dims };
      return { dims: reduced(x.dims, new Set(x.dims.map((_, i) => i)), keep) };
    }
    const at = new Set<number>();
    for (const a of axes as number[]) {
      const axis = this.axis(a, x.dims.length, 'axis', x.dims);
      if (at.has(axis)) fail(`axes name axis ${axis} twice`);
      at.add(axis);
    }
    return { dims: reduced(x.dims, at, keep) };
  }

  private topK(node: NodeProto, x: TensorShape): TensorShape[] {
    if (!x.dims) return [UNKNOWN, UNKNOWN];
    const axis = this.axis(getIntAttr(node, 'axis', -1), x.dims.length, 'axis', x.dims);
    let k: Dim = null;
    if (this.opset >= 10) {
      const input = this.get(node.input[1]);
      if (input.dims && !(input.dims.length === 1 && bindToNumber(input.dims[0], 1, this.batch) === 'ok')) fail(`K ${show(input.dims)} is not a 1-D tensor of one value`);
      k = input.value?.[0] ?? null;
    } else {
      k = getIntAttr(node, 'k', 0);
    }
    if (typeof k === 'number') {
      const size = x.dims[axis];
      if (k < 0 || (typeof size === 'number' && k > size)) fail(`k = ${k} but axis ${axis} of input ${show(x.dims)} has ${formatDim(size)} values`);
    }
    const out: TensorShape = { dims: x.dims.map((d, i) => (i === axis ? k : d)) };
    return [out, out];
  }

  private pad(node: NodeProto, x: TensorShape): TensorShape {
    if (!x.dims) return UNKNOWN;
    const rank = x.dims.length;
    const pads = this.opset >= 11 ? (node.input[1] ? (this.get(node.input[1]).value ?? null) : undefined) : getIntsAttr(node, 'pads');
    if (pads === undefined) fail('has no pads');
    if (pads === null || node.input[3] || pads.some((p) => typeof p !== 'number')) return { dims: x.dims.map(() => null) };
    if (pads.length !== 2 * rank) fail(`pads has ${pads.length} values; input ${show(x.dims)} needs ${2 * rank} (begin and end of each axis)`);
    return {
      dims: x.dims.map((d, i) => {
        const change = (pads[i] as number) + (pads[i + rank] as number);
        if (typeof d !== 'number') return change === 0 ? d : null;
        if (d + change < 0) fail(`pads [${pads.join(', ')}] remove more than axis ${i} of input ${show(x.dims)} holds`);
        return d + change;
      }),
    };
  }
}

function sameShape(a: Dim[], b: Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]));
}

function reduced(dims: Dim[], axes: Set<number>, keep: boolean): Dim[] {
  return keep ? dims.map((d, i) => (axes.has(i) ? 1 : d)) : dims.filter((_, i) => !axes.has(i));
}

/** Values of Mul/Div/Add/Sub on shape values (torch's x.size(1) * x.size(2)). */
function elementwiseValue(op: string, inputs: TensorShape[], dims: Dim[] | null): Dim[] | undefined {
  if (inputs.length !== 2 || !dims || dims.length > 1 || !inputs.every((s) => s.value)) return undefined;
  const [a, b] = inputs.map((s) => s.value!);
  const length = Math.max(a.length, b.length);
  if ((a.length !== length && a.length !== 1) || (b.length !== length && b.length !== 1)) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < length; i++) {
    const x = a[a.length === 1 ? 0 : i];
    const y = b[b.length === 1 ? 0 : i];
    let v: Dim;
    if (op === 'Mul') v = dimMul(x, y);
    else if (op === 'Div') {
      const q = typeof x === 'number' && typeof y === 'number' ? (y === 0 ? null : Math.trunc(x / y)) : dimDiv(x, y);
      v = q === 'inexact' ? null : q;
    } else if (op === 'Add' && typeof x === 'number' && typeof y === 'number') v = x + y;
    else if (op === 'Sub' && typeof x === 'number' && typeof y === 'number') v = x - y;
    else return undefined;
    out.push(v);
  }
  return out;
}

function trackedValue(t: TensorProto): Dim[] | undefined {
  if (!isIntegerType(t.dataType) || t.dataType === DataType.INT4 || t.dataType === DataType.UINT4) return undefined;
  if (t.dims.length > 1 || tensorElementCount(t) > MAX_TRACKED_VALUES) return undefined;
  return Array.from(tensorToFloat64(t));
}

/** An initializer's (or a Constant's tensor's) shape, with its values when it is a small integer vector. */
function tensorShape(t: TensorProto): TensorShape {
  return { dims: [...t.dims], value: trackedValue(t) };
}

/** The shape (and small integer values) of a Constant node's output, from whichever value_* attribute it has. */
function constantShape(node: NodeProto): TensorShape {
  const a: AttributeProto | undefined = node.attribute.find((x) => x.name?.startsWith('value'));
  switch (a?.name) {
    case 'value':
      return a.t ? tensorShape(a.t) : UNKNOWN;
    case 'value_float':
    case 'value_string':
      return { dims: [] };
    case 'value_floats':
      return { dims: [a.floats?.length ?? 0] };
    case 'value_int':
      return { dims: [], value: [a.i ?? 0] };
    case 'value_ints':
      return { dims: [a.ints?.length ?? 0], value: (a.ints?.length ?? 0) <= MAX_TRACKED_VALUES ? [...(a.ints ?? [])] : undefined };
    case 'value_strings':
      return { dims: [a.strings?.length ?? 0] };
  }
  return UNKNOWN;
}

/** The dims a graph input declares; unknown dims get a symbol of their own. */
function declaredInputDims(name: string, dims: (number | string | null)[]): Dim[] {
  return dims.map((d, i) => (typeof d === 'number' ? d : d ? symbol(d) : freshSymbol(`${name}:${i}`)));
}

/**
 * Infers the shape of every tensor of a validated model, checking each node's semantics; the first
 * mismatch is an OnnxFormatError (one line) naming the node and the shapes. Declared value_info and graph
 * output shapes must agree with what is inferred (a fixed size against another fixed size, or a rank).
 */
export function inferShapes(model: ModelProto): GraphShapes {
  const graph = model.graph as GraphProto;
  const opset = model.opsetImport.find((o) => isDefaultDomain(o.domain))?.version ?? 1;
  const inference = new Inference(opset);
  const initializers = new Set(graph.initializer.map((t) => t.name ?? ''));
  for (const info of graph.input) {
    if (initializers.has(info.name)) continue;
    const declared = valueInfoDims(info);
    const dims = declared ? declaredInputDims(info.name, declared) : null;
    const lead = dims?.[0];
    if (lead && isSymbolic(lead)) for (const s of lead.syms) inference.batch.add(s);
    inference.shapes.set(info.name, { dims });
  }
  for (const t of graph.initializer) inference.shapes.set(t.name ?? '', tensorShape(t));
  const declared = new Map<string, { role: string; dims: (number | string | null)[] }>();
  for (const info of graph.valueInfo ?? []) {
    const dims = valueInfoDims(info);
    if (dims) declared.set(info.name, { role: 'value_info', dims });
  }
  for (const info of graph.output) {
    const dims = valueInfoDims(info);
    if (dims) declared.set(info.name, { role: 'graph output', dims });
  }

  graph.node.forEach((node, index) => {
    let outputs: TensorShape[];
    try {
      outputs = inference.infer(node);
    } catch (error) {
      if (error instanceof NodeShapeError) throw new OnnxFormatError(`${describeNode(node, index)}: ${error.message}`);
      throw error;
    }
    node.output.forEach((name, i) => {
      if (!name) return;
      const shape = outputs[i] ?? UNKNOWN;
      checkDeclared(name, shape.dims, declared.get(name), node, index);
      checkSize(name, shape.dims, node, index);
      inference.shapes.set(name, shape);
    });
  });
  return { shapes: inference.shapes, batch: inference.batch };
}

function checkDeclared(name: string, inferred: Dim[] | null, declared: { role: string; dims: (number | string | null)[] } | undefined, node: NodeProto, index: number): void {
  if (!inferred || !declared) return;
  const shown = `[${declared.dims.map((d) => d ?? '?').join(', ')}]`;
  const disagree = () => {
    throw new OnnxFormatError(`${declared.role} ${quoteName(name)} is declared ${shown}, but ${describeNode(node, index)} makes it ${formatShape(inferred)}`);
  };
  if (declared.dims.length !== inferred.length) disagree();
  declared.dims.forEach((d, i) => {
    const got = inferred[i];
    if (typeof d === 'number' && typeof got === 'number' && d !== got) disagree();
  });
}

function checkSize(name: string, dims: Dim[] | null, node: NodeProto, index: number): void {
  if (!dims) return;
  const n = elementsAtBatchOne(dims);
  if (n !== null && n > MAX_TENSOR_ELEMENTS) {
    throw new OnnxFormatError(`${describeNode(node, index)} makes ${quoteName(name)} of shape ${formatShape(dims)}, ${n.toExponential(2)} elements at a batch of 1; qdistill reads models whose tensors hold at most ${MAX_TENSOR_ELEMENTS} elements (2^${Math.log2(MAX_TENSOR_ELEMENTS)})`);
  }
}
