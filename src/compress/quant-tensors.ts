// Initializers the int8 passes write: a float weight as symmetric int8 with its scales and zero points,
// uint8 zero points and int32 biases (float32 and int8 tensors themselves come from tensor.ts).
import type { TensorProto } from '../onnx/model.js';
import { DataType, dimsProduct, float32Tensor, int8Tensor } from '../onnx/tensor.js';
import { quantizeSymmetric } from '../util/int8.js';
import type { GraphEditor } from './editor.js';

export interface Int8Weight {
  /** Initializer names: the int8 values, the scale(s), the zero point(s). */
  name: string;
  scale: string;
  zeroPoint: string;
  scales: Float32Array;
}

/**
 * Adds `values` (shape `dims`) quantized symmetric int8, per tensor or along `axis`, as the initializers
 * `${prefix}int8`, `${prefix}scale` and `${prefix}zero` (all zeros). Scales and zero points are shaped []
 * per tensor and [channels] per channel unless `shapes` says otherwise (a reader that broadcasts them).
 */
export function addInt8Weight(
  editor: GraphEditor,
  prefix: string,
  values: Float32Array,
  dims: readonly number[],
  axis: number | null,
  shapes: { scale?: readonly number[]; zeroPoint?: readonly number[] } = {},
): Int8Weight {
  const { q, scales } = quantizeSymmetric(values, dims, axis);
  const perAxis = axis === null ? [] : [scales.length];
  const scaleDims = shapes.scale ?? perAxis;
  const zeroDims = shapes.zeroPoint ?? perAxis;
  const w = { name: `${prefix}int8`, scale: `${prefix}scale`, zeroPoint: `${prefix}zero`, scales };
  editor.addInitializer(int8Tensor(w.name, dims, q));
  editor.addInitializer(float32Tensor(w.scale, scaleDims, scales));
  editor.addInitializer(int8Tensor(w.zeroPoint, zeroDims, new Int8Array(dimsProduct(zeroDims))));
  return w;
}

export function uint8Tensor(name: string, dims: readonly number[], data: Uint8Array | readonly number[]): TensorProto {
  return { dims: [...dims], dataType: DataType.UINT8, name, rawData: Uint8Array.from(data) };
}

export function int32Tensor(name: string, dims: readonly number[], data: Int32Array): TensorProto {
  const rawData = new Uint8Array(data.length * 4);
  const view = new DataView(rawData.buffer);
  data.forEach((v, i) => view.setInt32(i * 4, v, true));
  return { dims: [...dims], dataType: DataType.INT32, name, rawData };
}

/** A bias quantized to int32 with scale = input scale × weight scale (per output channel when there are several). */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(bias, (_, i) => inputScale * weightScales[weightScales.length === 1 ? 0 : i]);
  const limit = 2 ** 31 - 1;
  const q = Int32Array.from(bias, (b, i) => Math.max(-limit, Math.min(limit, Math.round(b / scales[i]))));
  return { q, scales: weightScales.length === 1 ? scales.subarray(0, 1) : scales };
}
