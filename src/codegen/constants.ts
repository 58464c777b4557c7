// The constant tensors of a policy graph, as the code generators see them: initializers and Constant nodes,
// with the two rewrites our own passes put in front of weights folded away — Cast of a float16 tensor (fp16)
// and DequantizeLinear of an int8 tensor (weights-only int8, and the weights and int32 biases of the int8
// graphs quantize writes). A folded int8 or int32 tensor keeps its integer values, scales and zero points, so
// `--weights int8` and the integer steps emit exactly the numbers the file stores.
import { describeNode, getAttr, getIntAttr } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, tensorToFloat64 } from '../onnx/tensor.js';
import { UsageError } from '../util/errors.js';

/** Integer values behind a DequantizeLinear: real = (q − zero point) × scale, per tensor or along `axis`. */
export interface QuantizedValues<Q> {
  q: Q;
  /** One scale, or one per slice along `axis`. */
  scales: Float32Array;
  /** One zero point per scale (for uint8 weights: already shifted by −128 like q). */
  zeroPoints: Int32Array;
  axis: number | null;
}

export interface Constant {
  dims: number[];
  /** float32 values (what the graph computes with). */
  values: Float32Array;
  /** The tensor's element type (DataType), FLOAT for folded values. */
  dataType: number;
  /** The exact values of an integer tensor (int32 values beyond 2^24 do not fit `values`). */
  integers?: Float64Array;
  /** Present when the values came from DequantizeLinear of int8 (or of uint8, stored shifted by −128). */
  int8?: QuantizedValues<Int8Array>;
  /** Present when the values came from DequantizeLinear of int32 (a quantized bias). */
  int32?: QuantizedValues<Int32Array>;
}

/** Whether an int8 constant's zero points are all 0 (what weights-only int8 and `--weights int8` keep). */
export function symmetricInt8(c: Constant): boolean {
  return c.int8 !== undefined && c.int8.zeroPoints.every((z) => z === 0);
}

export class ConstantTable {
  private readonly table = new Map<string, Constant>();

  constructor(initializers: readonly TensorProto[]) {
    for (const t of initializers) this.table.set(t.name ?? '', fromTensor(t));
  }

  get(name: string): Constant | undefined {
    return this.table.get(name);
  }

  has(name: string): boolean {
    return this.table.has(name);
  }

  /** Folds `node` into a constant when it is one of the foldable forms; returns whether it did. */
  tryFold(node: NodeProto): boolean {
    const fold = FOLDERS[node.opType];
    if (!fold) return false;
    const inputs = node.input.filter((name) => name !== '');
    if (node.opType !== 'Constant' && !inputs.every((name) => this.table.has(name))) return false;
    const value = fold(node, inputs.map((name) => this.table.get(name)!));
    this.table.set(node.output[0], value);
    return true;
  }
}

const INTEGER_TYPES = new Set<number>([DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.INT64, DataType.UINT64, DataType.BOOL]);

function fromTensor(t: TensorProto): Constant {
  const exact = tensorToFloat64(t);
  const dataType = t.dataType ?? DataType.FLOAT;
  return { dims: [...t.dims], values: Float32Array.from(exact), dataType, ...(INTEGER_TYPES.has(dataType) ? { integers: exact } : {}) };
}

type Folder = (node: NodeProto, inputs: Constant[]) => Constant;

const FOLDERS: Record<string, Folder> = {
  Constant: (node) => {
    const tensor = getAttr(node, 'value')?.t;
    const float = getAttr(node, 'value_float')?.f;
    const floats = getAttr(node, 'value_floats')?.floats;
    const int = getAttr(node, 'value_int')?.i;
    const ints = getAttr(node, 'value_ints')?.ints;
    if (tensor) return fromTensor(tensor);
    if (float !== undefined) return { dims: [], values: Float32Array.of(float), dataType: DataType.FLOAT };
    if (floats) return { dims: [floats.length], values: Float32Array.from(floats), dataType: DataType.FLOAT };
    if (int !== undefined) return { dims: [], values: Float32Array.of(Number(int)), dataType: DataType.INT64, integers: Float64Array.of(Number(int)) };
    if (ints) return { dims: [ints.length], values: Float32Array.from(ints, Number), dataType: DataType.INT64, integers: Float64Array.from(ints, Number) };
    throw new UsageError(`${describeNode(node)} holds no value the code generators can read`);
  },
  // fp16 files cast their float16 weights back to float32; the values read from the tensor are already exact.
  Cast: (node, [x]) => {
    const to = getIntAttr(node, 'to', DataType.FLOAT);
    if (to !== DataType.FLOAT && to !== DataType.INT64 && to !== DataType.INT32) {
      throw new UsageError(`${describeNode(node)} casts a constant to ${DataType[to] ?? to}; only float32 and integer constants are supported`);
    }
    return { dims: x.dims, values: x.values, dataType: to, ...(x.integers ? { integers: x.integers } : {}) };
  },
  Identity: (_node, [x]) => x,
  DequantizeLinear: dequantize,
};

/**
 * (q − zero point) × scale in float32, as onnxruntime computes it. An int8/uint8 input keeps its integer
 * values, scales and zero points (uint8 shifted by −128, which leaves q − zero point unchanged), an int32
 * input (a quantized bias) likewise.
 */
function dequantize(node: NodeProto, [x, scale, zero]: Constant[]): Constant {
  const axisAttr = getIntAttr(node, 'axis', 1);
  // A single scale is per tensor whatever its rank.
  const perAxis = scale.values.length > 1;
  const axis = perAxis ? (axisAttr < 0 ? axisAttr + x.dims.length : axisAttr) : null;
  if (axis !== null && (axis < 0 || axis >= x.dims.length || x.dims[axis] !== scale.values.length)) {
    throw new UsageError(`${describeNode(node)}: ${scale.values.length} scales do not match axis ${axisAttr} of dims [${x.dims.join(', ')}]`);
  }
  if (zero && zero.values.length !== scale.values.length) throw new UsageError(`${describeNode(node)}: ${zero.values.length} zero points for ${scale.values.length} scales`);
  const inner = axis === null ? x.values.length : x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = axis === null ? 1 : x.dims[axis];
  const exact = x.integers ?? Float64Array.from(x.values);
  const zeros = zero?.integers ?? new Float64Array(scale.values.length);
  const values = new Float32Array(exact.length);
  for (let i = 0; i < values.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    values[i] = (exact[i] - zeros[c]) * scale.values[c];
  }
  const scales = Float32Array.from(scale.values);
  const shift = x.dataType === DataType.UINT8 ? 128 : 0;
  const dequantized: Constant = { dims: x.dims, values, dataType: DataType.FLOAT };
  if (x.dataType === DataType.INT8 || x.dataType === DataType.UINT8) {
    dequantized.int8 = { q: Int8Array.from(exact, (v) => v - shift), scales, zeroPoints: Int32Array.from(zeros, (z) => z - shift), axis };
  } else if (x.dataType === DataType.INT32) {
    dequantized.int32 = { q: Int32Array.from(exact), scales, zeroPoints: Int32Array.from(zeros), axis };
  }
  return dequantized;
}
