// The constant tensors of a policy graph, as the code generators see them: initializers and Constant nodes,
// with the two rewrites our own passes put in front of weights folded away — Cast of a float16 tensor (fp16)
// and DequantizeLinear of an int8 tensor (weights-only int8). A folded int8 tensor keeps its int8 values and
// scales, so `--weights int8` can emit exactly the numbers the file stores.
import { describeNode, getAttr, getIntAttr } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, tensorToFloat64 } from '../onnx/tensor.js';
import { UsageError } from '../util/errors.js';

interface Int8Values {
  q: Int8Array;
  /** One scale, or one per slice along `axis`. */
  scales: Float32Array;
  axis: number | null;
}

export interface Constant {
  dims: number[];
  /** float32 values (what the graph computes with). */
  values: Float32Array;
  /** Present when the values came from DequantizeLinear of int8 with zero point 0. */
  int8?: Int8Values;
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

function fromTensor(t: TensorProto): Constant {
  return { dims: [...t.dims], values: Float32Array.from(tensorToFloat64(t)) };
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
    if (float !== undefined) return { dims: [], values: Float32Array.of(float) };
    if (floats) return { dims: [floats.length], values: Float32Array.from(floats) };
    if (int !== undefined) return { dims: [], values: Float32Array.of(int) };
    if (ints) return { dims: [ints.length], values: Float32Array.from(ints) };
    throw new UsageError(`${describeNode(node)} holds no value the code generators can read`);
  },
  // fp16 files cast their float16 weights back to float32; the values read from the tensor are already exact.
  Cast: (node, [x]) => {
    const to = getIntAttr(node, 'to', DataType.FLOAT);
    if (to !== DataType.FLOAT && to !== DataType.INT64 && to !== DataType.INT32) {
      throw new UsageError(`${describeNode(node)} casts a constant to ${DataType[to] ?? to}; only float32 and integer constants are supported`);
    }
    return { dims: x.dims, values: x.values };
  },
  Identity: (_node, [x]) => x,
  DequantizeLinear: dequantize,
};

/** (q − zero point) × scale in float32, as onnxruntime computes it; keeps the int8 values when zero point is 0. */
function dequantize(node: NodeProto, [x, scale, zero]: Constant[]): Constant {
  const axisAttr = getIntAttr(node, 'axis', 1);
  // A single scale is per tensor whatever its rank.
  const perAxis = scale.values.length > 1;
  const axis = perAxis ? (axisAttr < 0 ? axisAttr + x.dims.length : axisAttr) : null;
  if (axis !== null && (axis < 0 || axis >= x.dims.length || x.dims[axis] !== scale.values.length)) {
    throw new UsageError(`${describeNode(node)}: ${scale.values.length} scales do not match axis ${axisAttr} of dims [${x.dims.join(', ')}]`);
  }
  const inner = axis === null ? x.values.length : x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = axis === null ? 1 : x.dims[axis];
  const zeros = zero?.values ?? new Float32Array(scale.values.length);
  const values = new Float32Array(x.values.length);
  for (let i = 0; i < values.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    values[i] = (x.values[i] - zeros[c]) * scale.values[c];
  }
  const isInt8 = x.values.every((v) => Number.isInteger(v) && v >= -128 && v <= 127);
  const zeroPointZero = zeros.every((z) => z === 0);
  const int8 = isInt8 && zeroPointZero ? { q: Int8Array.from(x.values), scales: Float32Array.from(scale.values), axis } : undefined;
  return { dims: x.dims, values, ...(int8 ? { int8 } : {}) };
}
