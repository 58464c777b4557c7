// `quantize --weights-only`: each weight matrix or conv kernel is stored as int8 with a DequantizeLinear in
// front of its consumer, so the file shrinks about 4× and every runtime with opset 13 runs it (compute stays
// float32). Symmetric quantization: scale = max|w| / 127 per tensor, or per output channel with --per-channel;
// zero point 0. Biases stay float32 (they are small and add directly to the output).
import { getIntAttr, intAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, float32Tensor, int8Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import type { GraphEditor } from './editor.js';
import type { Pass, Rewriter } from './pass.js';

export interface WeightQuantOptions {
  perChannel: boolean;
}

/** int8 values and scales of a float tensor, symmetric, per tensor or along `axis`. */
export function quantizeSymmetric(values: Float32Array, dims: number[], axis: number | null): { q: Int8Array; scales: Float32Array } {
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  values.forEach((v, i) => (maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(v))));
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = Int8Array.from(values, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scales[channelOf(i)]))));
  return { q, scales };
}

/** Replaces float initializer input `index` of `node` by int8 + DequantizeLinear; `axis` is its output-channel axis. */
function quantizeInput(node: NodeProto, index: number, axis: number, editor: GraphEditor, options: WeightQuantOptions): string | null {
  const name = node.input[index];
  const weight: TensorProto | undefined = editor.initializers.get(name);
  if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length < 2) return null;
  const values = tensorToFloat32(weight);
  const perChannel = options.perChannel ? axis : null;
  const { q, scales } = quantizeSymmetric(values, weight.dims, perChannel);
  const base = editor.fresh(name);
  editor.addInitializer(int8Tensor(`${base}_int8`, weight.dims, q));
  editor.addInitializer(float32Tensor(`${base}_scale`, perChannel === null ? [] : [scales.length], scales));
  editor.addInitializer(int8Tensor(`${base}_zero`, perChannel === null ? [] : [scales.length], new Int8Array(scales.length)));
  const dequantized = `${base}_dequant`;
  editor.insertBefore(node, [
    makeNode('DequantizeLinear', [`${base}_int8`, `${base}_scale`, `${base}_zero`], [dequantized], `${base}_DequantizeLinear`, perChannel === null ? [] : [intAttr('axis', perChannel)]),
  ]);
  // Other readers of the same weight share the dequantized value.
  editor.renameReads(name, dequantized);
  return `${node.opType} '${node.name ?? ''}': ${weight.dims.join('×')} weights → int8 (${perChannel === null ? 'per tensor' : `per channel, axis ${perChannel}`})`;
}

const rewriters: Record<string, Rewriter<WeightQuantOptions>> = {
  // Gemm B is [K, N], or [N, K] with transB: the output channel is the axis of N.
  Gemm: (node, editor, o) => quantizeInput(node, 1, getIntAttr(node, 'transB', 0) ? 0 : 1, editor, o),
  MatMul: (node, editor, o) => quantizeInput(node, 1, 1, editor, o),
  // Conv W is [Cout, Cin/group, kh, kw].
  Conv: (node, editor, o) => quantizeInput(node, 1, 0, editor, o),
};

export const weightQuantizationPass: Pass<WeightQuantOptions> = { name: 'quantize-weights', rewriters };
