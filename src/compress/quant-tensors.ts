// Initializers the int8 passes write besides float32 and int8 (tensor.ts has those): uint8 zero points and
// int32 biases, both little-endian raw_data.
import type { TensorProto } from '../onnx/model.js';
import { DataType } from '../onnx/tensor.js';

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
