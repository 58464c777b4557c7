// What a model is: versions, inputs and outputs, operators, parameters, bytes of weights, and the
// multiply-accumulates one inference at batch 1 costs. MACs need shapes, so this module carries a small
// shape inference over the supported operators (only as much as counting needs; onnxruntime's own is not
// reachable from JavaScript). Symbolic batch dims count as 1; anything it cannot resolve makes the MAC
// count null rather than wrong.
import { getIntAttr, getIntsAttr, getStringAttr, metadataOf, valueInfoDims } from './graph.js';
import { escapeControl } from '../util/escape.js';
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from './model.js';
import { OnnxFormatError } from './schema.js';
import { DataType, dataTypeName, isFloatType, isIntegerType, tensorByteLength, tensorElementCount, tensorToFloat64 } from './tensor.js';
import { isDefaultDomain, opFacts } from './ops.js';
import { defaultOpset } from './validate.js';
import { constantShape, MAX_TRACKED_VALUES, tensorShape } from './shapes.js';

/** A graph input or output. */
interface ValueSummary {
  /** The tensor's name. */
  name: string;
  /** ONNX element type name, e.g. 'FLOAT'. */
  elemType: string;
  /** Declared shape: numbers, symbolic names, '?' for unknown dims; null when the rank is unknown. */
  dims: (number | string)[] | null;
}

/** What inspect() reports about a model file: versions, inputs and outputs, operators, parameters, bytes, MACs. */
export interface ModelSummary {
  /** ONNX IR version of the file. */
  irVersion: number;
  /** Opset version by domain ('ai.onnx' for the default domain). */
  opsets: Record<string, number>;
  /** The tool that wrote the file ('' when unset). */
  producerName: string;
  /** Its version ('' when unset). */
  producerVersion: string;
  /** Graph inputs that are not initializers: what a caller feeds. */
  inputs: ValueSummary[];
  /** Graph outputs. */
  outputs: ValueSummary[];
  /** Nodes in the main graph. */
  nodeCount: number;
  /** Number of nodes per operator. */
  opHistogram: Record<string, number>;
  /**
   * Elements of the weights: every float initializer and Constant value, and the integer ones other than INT64
   * (int8/uint8 quantized weights, their zero points, int32 biases). INT64 tensors are shapes, axes, pads and
   * indices (Reshape's target, Unsqueeze's axes…), not weights; their bytes still appear in bytesByType.
   */
  parameters: number;
  /** Bytes of those tensors by data type name. */
  bytesByType: Record<string, number>;
  /** Bytes of the initializers alone. */
  initializerBytes: number;
  /** Multiply-accumulates of one inference at batch 1; null when some shape could not be inferred. */
  macs: number | null;
  /** MACs by operator, for the nodes whose count is known. */
  macsByOp: Record<string, number>;
  /** The file's metadata_props, key → value (qdistill.* among them). */
  metadata: Record<string, string>;
}

/** Small integer tensors (shapes, axes, pads) are followed by value so that Reshape & co. resolve. */

type Dim = number | null;
interface Info {
  dims: Dim[] | null;
  value?: number[];
}

const UNKNOWN: Info = { dims: null };

function dim(x: number | null | undefined): Dim {
  return x !== null && x !== undefined && Number.isSafeInteger(x) && x >= 0 ? x : null;
}

function product(dims: readonly Dim[]): number | null {
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

function normalizeAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : null;
}

// Initializers and Constants are read as the shape inference reads them; values there are numbers.
const tensorInfo = (t: TensorProto): Info => tensorShape(t) as Info;
const constantInfo = (node: NodeProto): Info => constantShape(node) as Info;

/** Elements and bytes held by a Constant node, by data type; undefined for string constants. */
function constantTensor(node: NodeProto): { type: number; elements: number; bytes: number } | undefined {
  for (const a of node.attribute) {
    if (a.name === 'value' && a.t && (isFloatType(a.t.dataType) || isIntegerType(a.t.dataType))) {
      return { type: a.t.dataType!, elements: tensorElementCount(a.t), bytes: tensorByteLength(a.t) };
    }
    if (a.name === 'value_float') return { type: DataType.FLOAT, elements: 1, bytes: 4 };
    if (a.name === 'value_floats') return { type: DataType.FLOAT, elements: a.floats?.length ?? 0, bytes: 4 * (a.floats?.length ?? 0) };
    if (a.name === 'value_int') return { type: DataType.INT64, elements: 1, bytes: 8 };
    if (a.name === 'value_ints') return { type: DataType.INT64, elements: a.ints?.length ?? 0, bytes: 8 * (a.ints?.length ?? 0) };
  }
  return undefined;
}

function broadcast(shapes: (Dim[] | null)[]): Dim[] | null {
  if (shapes.some((s) => s === null)) return null;
  const rank = shapes.reduce((r, s) => Math.max(r, s!.length), 0);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes as Dim[][]) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === null) d = d === 1 ? null : d;
      else if (x !== 1) d = d === 1 || d === null || d === x ? x : null;
    }
    out.push(d);
  }
  return out;
}

interface Inferred {
  outputs: Info[];
  /** Present for ops that do multiply-accumulates: the count, or null when shapes were unknown. */
  macs?: number | null;
}

class ShapeInference {
  private readonly infos = new Map<string, Info>();

  constructor(private readonly opset: number) {}

  set(name: string, info: Info): void {
    if (name !== '') this.infos.set(name, info);
  }

  get(name: string | undefined): Info {
    return (name && this.infos.get(name)) || UNKNOWN;
  }

  /** A list of ints given by attribute (older opsets) or by a constant input (newer ones). */
  private listArg(node: NodeProto, attr: string, input: number): number[] | undefined {
    return getIntsAttr(node, attr) ?? (node.input[input] ? this.get(node.input[input]).value : undefined);
  }

  infer(node: NodeProto): Inferred {
    const x = this.get(node.input[0]);
    const same = (info: Info = x): Inferred => ({ outputs: [info] });
    const facts = opFacts(node.opType);
    const weight = facts?.weightInput === undefined ? null : this.get(node.input[facts.weightInput]).dims;
    switch (facts?.kind) {
      case 'gemm':
        return this.gemm(node, x.dims, weight);
      case 'matmul':
        return this.matmul(x.dims, weight);
      case 'convolution':
        return this.conv(node, weight);
      case 'pooling': {
        const out = this.pool(node);
        return { outputs: [out, out] };
      }
      case 'same-shape':
        return same({ dims: x.dims });
      case 'broadcast':
        return same({ dims: broadcast(node.input.map((n) => this.get(n).dims)) });
      case 'pass-through':
        // Dropout's second output is its mask.
        return { outputs: [x, { dims: x.dims }] };
    }
    switch (node.opType) {
      case 'GlobalAveragePool':
        return same({ dims: x.dims && x.dims.length >= 2 ? [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)] : null });
      case 'Cast':
        return same({ dims: x.dims, value: isIntegerType(getIntAttr(node, 'to', 0)) ? x.value?.map(Math.trunc) : undefined });
      case 'BatchNormalization': {
        const channels: Info = { dims: x.dims && x.dims.length >= 2 ? [x.dims[1]] : null };
        return { outputs: [{ dims: x.dims }, channels, channels, channels, channels] };
      }
      case 'LayerNormalization': {
        // Mean and InvStdDev keep the leading axes and have 1 for each normalized one.
        const axis = x.dims ? normalizeAxis(getIntAttr(node, 'axis', -1), x.dims.length) : null;
        const stats: Info = { dims: x.dims && axis !== null ? x.dims.map((d, i) => (i < axis ? d : 1)) : null };
        return { outputs: [{ dims: x.dims }, stats, stats] };
      }
      case 'DynamicQuantizeLinear':
        return { outputs: [{ dims: x.dims }, { dims: [] }, { dims: [] }] };
      case 'Flatten':
        return same(this.flatten(node, x));
      case 'Reshape':
        return same(this.reshape(node, x));
      case 'Transpose':
        return same(this.transpose(node, x));
      case 'Squeeze':
        return same(this.squeeze(node, x));
      case 'Unsqueeze':
        return same(this.unsqueeze(node, x));
      case 'Concat':
        return same(this.concat(node));
      case 'Shape':
        return same(this.shape(node, x));
      case 'Gather':
        return same(this.gather(node, x, this.get(node.input[1])));
      case 'Slice':
        return same(this.slice(node, x));
      case 'Constant':
        return same(constantInfo(node));
      case 'ConstantOfShape': {
        const shape = x.value?.every((v) => dim(v) !== null) ? x.value : undefined;
        return same({ dims: shape ? [...shape] : x.dims?.length === 1 && x.dims[0] !== null ? new Array<Dim>(Math.min(x.dims[0], MAX_TRACKED_VALUES)).fill(null) : null });
      }
      case 'ReduceMean':
      case 'ReduceMax':
      case 'ReduceSum':
        return same(this.reduce(node, x));
      case 'ArgMax':
        return same(this.reduceAxes(x, [getIntAttr(node, 'axis', 0)], getIntAttr(node, 'keepdims', 1) !== 0));
      case 'Pad':
        return same(this.pad(node, x));
      default:
        return { outputs: node.output.map(() => UNKNOWN) };
    }
  }

  private gemm(node: NodeProto, a: Dim[] | null, b: Dim[] | null): Inferred {
    if (!a || !b || a.length !== 2 || b.length !== 2) return { outputs: [UNKNOWN], macs: null };
    const [m, ka] = getIntAttr(node, 'transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
    const [kb, n] = getIntAttr(node, 'transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
    const k = ka ?? kb;
    return { outputs: [{ dims: [m, n] }], macs: m === null || k === null || n === null ? null : m * k * n };
  }

  private matmul(a: Dim[] | null, b: Dim[] | null): Inferred {
    if (!a || !b || a.length === 0 || b.length === 0) return { outputs: [UNKNOWN], macs: null };
    const m = a.length >= 2 ? a[a.length - 2] : 1;
    const k = a[a.length - 1] ?? (b.length >= 2 ? b[b.length - 2] : b[0]);
    const n = b.length >= 2 ? b[b.length - 1] : 1;
    const batch = broadcast([a.slice(0, -2), b.slice(0, -2)]);
    const dims = [...(batch ?? []), ...(a.length >= 2 ? [m] : []), ...(b.length >= 2 ? [n] : [])];
    const batchCount = batch ? product(batch) : null;
    const macs = batchCount === null || m === null || k === null || n === null ? null : batchCount * m * k * n;
    return { outputs: [{ dims: batch ? dims : null }], macs };
  }

  /** Output spatial sizes of a sliding window (Conv and pooling). */
  private window(node: NodeProto, spatial: Dim[], kernel: Dim[], ceil: boolean): Dim[] {
    const r = spatial.length;
    const strides = getIntsAttr(node, 'strides') ?? new Array(r).fill(1);
    const dilations = getIntsAttr(node, 'dilations') ?? new Array(r).fill(1);
    const pads = getIntsAttr(node, 'pads') ?? new Array(2 * r).fill(0);
    const autoPad = getStringAttr(node, 'auto_pad') ?? 'NOTSET';
    return spatial.map((size, i) => {
      const k = kernel[i];
      const s = strides[i] ?? 1;
      const d = dilations[i] ?? 1;
      if (size === null || k === null || !(s >= 1) || !(d >= 1)) return null;
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return dim(Math.ceil(size / s));
      const span = d * (k - 1) + 1;
      const padded = autoPad === 'VALID' ? size : size + (pads[i] ?? 0) + (pads[i + r] ?? 0);
      if (padded < span) return null;
      const steps = ceil ? Math.ceil((padded - span) / s) : Math.floor((padded - span) / s);
      return dim(steps + 1);
    });
  }

  private conv(node: NodeProto, w: Dim[] | null): Inferred {
    const x = this.get(node.input[0]).dims;
    if (!x || !w || x.length < 3 || w.length !== x.length) return { outputs: [UNKNOWN], macs: null };
    const kernel: Dim[] = getIntsAttr(node, 'kernel_shape') ?? w.slice(2);
    const spatial = this.window(node, x.slice(2), kernel, false);
    const group = getIntAttr(node, 'group', 1);
    const perGroupIn = w[1] ?? (x[1] !== null && group >= 1 ? x[1] / group : null);
    const outChannels = w[0];
    const dims = [x[0], outChannels, ...spatial];
    const points = product(dims);
    const window = product(kernel);
    const macs = points === null || window === null || perGroupIn === null ? null : points * perGroupIn * window;
    return { outputs: [{ dims }], macs };
  }

  private pool(node: NodeProto): Info {
    const x = this.get(node.input[0]).dims;
    const kernel = getIntsAttr(node, 'kernel_shape');
    if (!x || !kernel || x.length !== kernel.length + 2) return UNKNOWN;
    return { dims: [x[0], x[1], ...this.window(node, x.slice(2), kernel, getIntAttr(node, 'ceil_mode', 0) !== 0)] };
  }

  private flatten(node: NodeProto, x: Info): Info {
    if (!x.dims) return UNKNOWN;
    const rank = x.dims.length;
    let axis = getIntAttr(node, 'axis', 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) return UNKNOWN;
    return { dims: [product(x.dims.slice(0, axis)), product(x.dims.slice(axis))] };
  }

  private reshape(node: NodeProto, x: Info): Info {
    const shape = getIntsAttr(node, 'shape') ?? this.get(node.input[1]).value;
    if (!shape) {
      const shapeDims = this.get(node.input[1]).dims;
      return { dims: shapeDims?.length === 1 && shapeDims[0] !== null ? new Array<Dim>(Math.min(shapeDims[0], MAX_TRACKED_VALUES)).fill(null) : null };
    }
    const allowZero = getIntAttr(node, 'allowzero', 0) !== 0;
    const dims: Dim[] = shape.map((s, i) => (s === 0 && !allowZero ? (x.dims?.[i] ?? null) : s === -1 ? null : dim(s)));
    const inferAt = shape.indexOf(-1);
    if (inferAt >= 0 && shape.lastIndexOf(-1) === inferAt && x.dims) {
      const total = product(x.dims);
      const known = product(dims.filter((_, i) => i !== inferAt));
      if (total !== null && known !== null && known > 0 && total % known === 0) dims[inferAt] = total / known;
    }
    return { dims, value: x.value && dims.every((d) => d !== null) ? x.value : undefined };
  }

  private transpose(node: NodeProto, x: Info): Info {
    if (!x.dims) return UNKNOWN;
    const rank = x.dims.length;
    const perm = getIntsAttr(node, 'perm') ?? x.dims.map((_, i) => rank - 1 - i);
    if (perm.length !== rank) return UNKNOWN;
    return { dims: perm.map((p) => x.dims![p] ?? null) };
  }

  private squeeze(node: NodeProto, x: Info): Info {
    if (!x.dims) return UNKNOWN;
    const axes = this.listArg(node, 'axes', 1);
    if (!axes) return x.dims.some((d) => d === null) ? UNKNOWN : { dims: x.dims.filter((d) => d !== 1), value: x.value };
    const drop = new Set(axes.map((a) => normalizeAxis(a, x.dims!.length)));
    return { dims: x.dims.filter((_, i) => !drop.has(i)), value: x.value };
  }

  private unsqueeze(node: NodeProto, x: Info): Info {
    const axes = this.listArg(node, 'axes', 1);
    if (!x.dims || !axes) return UNKNOWN;
    const rank = x.dims.length + axes.length;
    const at = new Set(axes.map((a) => normalizeAxis(a, rank)));
    if (at.has(null) || at.size !== axes.length) return UNKNOWN;
    const dims: Dim[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) dims.push(at.has(i) ? 1 : (x.dims[next++] ?? null));
    return { dims, value: x.value };
  }

  private concat(node: NodeProto): Info {
    const parts = node.input.filter((n) => n !== '').map((n) => this.get(n));
    if (parts.some((p) => !p.dims)) return UNKNOWN;
    const rank = parts[0].dims!.length;
    if (parts.some((p) => p.dims!.length !== rank)) return UNKNOWN;
    const axis = normalizeAxis(getIntAttr(node, 'axis', 0), rank);
    if (axis === null) return UNKNOWN;
    const dims = parts[0].dims!.map((_, i) => {
      const sizes = parts.map((p) => p.dims![i]);
      if (i === axis) return sizes.some((d) => d === null) ? null : sizes.reduce((sum, d) => sum! + d!, 0);
      return sizes.find((d) => d !== null) ?? null;
    });
    const values = parts.every((p) => p.value) ? parts.flatMap((p) => p.value!) : undefined;
    return { dims, value: values && values.length <= MAX_TRACKED_VALUES && rank === 1 ? values : undefined };
  }

  private shape(node: NodeProto, x: Info): Info {
    if (!x.dims) return { dims: [null] };
    const rank = x.dims.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = clamp(getIntAttr(node, 'start', 0));
    const end = clamp(getIntAttr(node, 'end', rank));
    const dims = x.dims.slice(start, Math.max(start, end));
    const known = dims.every((d) => d !== null) && dims.length <= MAX_TRACKED_VALUES;
    return { dims: [dims.length], value: known ? (dims as number[]) : undefined };
  }

  private gather(node: NodeProto, data: Info, indices: Info): Info {
    if (!data.dims || !indices.dims) return UNKNOWN;
    const axis = normalizeAxis(getIntAttr(node, 'axis', 0), data.dims.length);
    if (axis === null) return UNKNOWN;
    const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
    let value: number[] | undefined;
    if (data.value && indices.value && data.dims.length === 1) {
      const picked = indices.value.map((i) => data.value![i < 0 ? i + data.value!.length : i]);
      value = picked.every((v) => v !== undefined) ? picked : undefined;
    }
    return { dims, value };
  }

  private slice(node: NodeProto, x: Info): Info {
    if (!x.dims) return UNKNOWN;
    const byInput = this.opset >= 10;
    const starts = byInput ? this.get(node.input[1]).value : getIntsAttr(node, 'starts');
    const ends = byInput ? this.get(node.input[2]).value : getIntsAttr(node, 'ends');
    const axes = byInput ? (node.input[3] ? this.get(node.input[3]).value : undefined) : getIntsAttr(node, 'axes');
    const steps = byInput && node.input[4] ? this.get(node.input[4]).value : undefined;
    if (!starts || !ends || starts.length !== ends.length) return { dims: x.dims.map(() => null) };
    if ((byInput && node.input[3] && !axes) || (byInput && node.input[4] && !steps)) return { dims: x.dims.map(() => null) };
    const dims = [...x.dims];
    let value = x.value && x.dims.length === 1 ? [...x.value] : undefined;
    for (let i = 0; i < starts.length; i++) {
      const axis = normalizeAxis(axes?.[i] ?? i, x.dims.length);
      if (axis === null) return UNKNOWN;
      const size = x.dims[axis];
      const step = steps?.[i] ?? 1;
      if (size === null || step === 0) {
        dims[axis] = null;
        value = undefined;
        continue;
      }
      const clampIndex = (v: number, low: number, high: number) => Math.min(Math.max(v < 0 ? v + size : v, low), high);
      const start = step > 0 ? clampIndex(starts[i], 0, size) : clampIndex(starts[i], 0, size - 1);
      const end = step > 0 ? clampIndex(ends[i], 0, size) : clampIndex(ends[i], -1, size - 1);
      const count = Math.max(0, Math.ceil((end - start) / step));
      dims[axis] = count;
      if (value && value.length === size) value = Array.from({ length: count }, (_, j) => value![start + j * step]);
      else value = undefined;
    }
    return { dims, value };
  }

  private reduce(node: NodeProto, x: Info): Info {
    const axesFromInput = node.opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const axes = axesFromInput ? (node.input[1] ? this.get(node.input[1]).value : []) : (getIntsAttr(node, 'axes') ?? []);
    const keep = getIntAttr(node, 'keepdims', 1) !== 0;
    if (!x.dims) return UNKNOWN;
    if (!axes) return keep ? { dims: x.dims.map(() => null) } : UNKNOWN;
    if (axes.length === 0) {
      if (getIntAttr(node, 'noop_with_empty_axes', 0)) return { dims: x.dims };
      return this.reduceAxes(x, x.dims.map((_, i) => i), keep);
    }
    return this.reduceAxes(x, axes, keep);
  }

  private reduceAxes(x: Info, axes: number[], keep: boolean): Info {
    if (!x.dims) return UNKNOWN;
    const at = new Set(axes.map((a) => normalizeAxis(a, x.dims!.length)));
    if (at.has(null)) return UNKNOWN;
    return { dims: keep ? x.dims.map((d, i) => (at.has(i) ? 1 : d)) : x.dims.filter((_, i) => !at.has(i)) };
  }

  private pad(node: NodeProto, x: Info): Info {
    if (!x.dims) return UNKNOWN;
    const pads = this.listArg(node, 'pads', 1);
    const rank = x.dims.length;
    if (node.input[3] || !pads || pads.length !== 2 * rank) return { dims: x.dims.map(() => null) };
    return { dims: x.dims.map((d, i) => (d === null ? null : dim(d + pads[i] + pads[i + rank]))) };
  }
}

/** Whether a tensor of this type holds weights (parameters) rather than shapes, axes or indices (INT64). */
function isWeightType(type: number): boolean {
  return isFloatType(type) || (isIntegerType(type) && type !== DataType.INT64 && type !== DataType.UINT64);
}

/** A value info's declared dims for inference: the leading symbolic (batch) dim becomes 1. */
function inputInfo(info: ValueInfoProto): Info {
  const dims = valueInfoDims(info);
  if (!dims) return UNKNOWN;
  return { dims: dims.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : null)) };
}

function valueSummary(info: ValueInfoProto): ValueSummary {
  const dims = valueInfoDims(info);
  return {
    name: info.name ?? '',
    elemType: dataTypeName(info.type?.tensorType?.elemType),
    dims: dims ? dims.map((d) => d ?? '?') : null,
  };
}

/** ModelSummary of a decoded model; OnnxFormatError (a UsageError) when it has no graph. */
export function inspectModel(model: ModelProto): ModelSummary {
  const graph = model.graph;
  if (!graph) throw new OnnxFormatError('model has no graph');
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) opsets[isDefaultDomain(o.domain) ? 'ai.onnx' : o.domain!] = o.version ?? 0;

  let parameters = 0;
  let initializerBytes = 0;
  const bytesByType: Record<string, number> = {};
  const count = (type: number, elements: number, bytes: number) => {
    if (isWeightType(type)) parameters += elements;
    const name = dataTypeName(type);
    bytesByType[name] = (bytesByType[name] ?? 0) + bytes;
  };
  for (const t of graph.initializer) {
    const bytes = tensorByteLength(t);
    initializerBytes += bytes;
    if (isFloatType(t.dataType) || isIntegerType(t.dataType)) count(t.dataType!, tensorElementCount(t), bytes);
  }

  const opHistogram: Record<string, number> = {};
  const macsByOp: Record<string, number> = {};
  let macs: number | null = 0;
  const inference = new ShapeInference(defaultOpset(model) ?? 0);
  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  for (const info of graph.input) if (!initializerNames.has(info.name ?? '')) inference.set(info.name ?? '', inputInfo(info));
  for (const t of graph.initializer) inference.set(t.name ?? '', tensorInfo(t));

  for (const node of graph.node) {
    const op = node.opType ?? '';
    opHistogram[op] = (opHistogram[op] ?? 0) + 1;
    if (op === 'Constant') {
      const held = constantTensor(node);
      if (held) count(held.type, held.elements, held.bytes);
    }
    const inferred = inference.infer(node);
    node.output.forEach((name, i) => {
      const info = inferred.outputs[i] ?? UNKNOWN;
      inference.set(name, { dims: info.dims ? info.dims.map(dim) : null, value: info.value?.every(Number.isFinite) ? info.value : undefined });
    });
    if (inferred.macs !== undefined) {
      if (inferred.macs === null || !Number.isFinite(inferred.macs)) macs = null;
      else {
        macsByOp[op] = (macsByOp[op] ?? 0) + inferred.macs;
        if (macs !== null) macs += inferred.macs;
      }
    }
  }

  return {
    irVersion: model.irVersion ?? 0,
    opsets,
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    inputs: graph.input.filter((i) => !initializerNames.has(i.name ?? '')).map(valueSummary),
    outputs: graph.output.map(valueSummary),
    nodeCount: graph.node.length,
    opHistogram,
    parameters,
    bytesByType,
    initializerBytes,
    macs,
    macsByOp,
    metadata: metadataOf(model),
  };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatValue(v: ValueSummary): string {
  return `${v.name}  ${v.elemType} ${v.dims ? `[${v.dims.join(', ')}]` : '(shape unknown)'}`;
}

function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A readable multi-line description for terminals. */
export function formatSummary(s: ModelSummary): string {
  const rows: [string, string][] = [];
  const add = (label: string, values: string[]) => values.forEach((v, i) => rows.push([i === 0 ? label : '', v]));
  add('IR version', [String(s.irVersion)]);
  add('opsets', [Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ')]);
  add('producer', [[s.producerName, s.producerVersion].filter(Boolean).join(' ') || '(none)']);
  add('inputs', s.inputs.length ? s.inputs.map(formatValue) : ['(none)']);
  add('outputs', s.outputs.length ? s.outputs.map(formatValue) : ['(none)']);
  const ops = Object.entries(s.opHistogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  add('nodes', [`${s.nodeCount}${ops.length ? `: ${ops.map(([op, n]) => `${op} ×${n}`).join(', ')}` : ''}`]);
  add('parameters', [formatCount(s.parameters)]);
  const byType = Object.entries(s.bytesByType).map(([t, b]) => `${t} ${formatBytes(b)}`);
  add('weights', [`${formatBytes(s.initializerBytes)} in initializers${byType.length ? ` (by type, constants included: ${byType.join(', ')})` : ''}`]);
  const macsByOp = Object.entries(s.macsByOp).map(([op, n]) => `${op} ${formatCount(n)}`);
  add('MACs', [s.macs === null ? 'unknown (some shapes could not be inferred)' : `${formatCount(s.macs)} per inference at batch 1${macsByOp.length ? ` (${macsByOp.join(', ')})` : ''}`]);
  const meta = Object.entries(s.metadata);
  add('metadata', meta.length ? meta.map(([k, v]) => oneLine(`${k} = ${v}`)) : ['(none)']);
  const width = rows.reduce((w, [label]) => Math.max(w, label.length), 0);
  // Names and metadata come from the file: a newline or an escape sequence in them is printed escaped.
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${escapeControl(value)}`).join('\n');
}
