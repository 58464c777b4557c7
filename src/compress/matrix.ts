// 2-D weight helpers shared by the passes: transposing, and reading / writing a Gemm's B in the [K, N]
// orientation whatever its transB says.
import { getIntAttr } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { float32Tensor, tensorToFloat32 } from '../onnx/tensor.js';

export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** B of a Gemm (or MatMul) as [K, N] values: K inputs, N outputs. */
export function weightAsKN(node: NodeProto, weight: TensorProto): { values: Float32Array; k: number; n: number } {
  const values = tensorToFloat32(weight);
  const [rows, cols] = weight.dims;
  if (node.opType !== 'Gemm' || !getIntAttr(node, 'transB', 0)) return { values, k: rows, n: cols };
  return { values: transposeMatrix(values, rows, cols), k: cols, n: rows };
}

/** [K, N] values stored back in the node's own orientation. */
export function weightFromKN(node: NodeProto, name: string, values: Float32Array, k: number, n: number): TensorProto {
  if (node.opType !== 'Gemm' || !getIntAttr(node, 'transB', 0)) return float32Tensor(name, [k, n], values);
  return float32Tensor(name, [n, k], transposeMatrix(values, k, n));
}
