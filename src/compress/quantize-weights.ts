// `quantize --weights-only`: each weight matrix or conv kernel is stored as int8 with a DequantizeLinear in
// front of its consumer, so the file shrinks about 4× and every runtime runs it (the file is raised to opset 13 where needed) (compute stays
// float32). Symmetric quantization: scale = max|w| / 127 per tensor, or per output channel with --per-channel;
// zero point 0. Biases stay float32 (they are small and add directly to the output).
import { getIntAttr, intAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, tensorToFloat32 } from '../onnx/tensor.js';
import type { GraphEditor } from './editor.js';
import type { Pass, Rewriter } from './pass.js';
import { addInt8Weight } from './quant-tensors.js';
import { opsetGuard } from './opset-guard.js';
import { keptFloat, layerName, perChannelFor, type LayerPlanOptions } from './layer-plan.js';

/** Options of the weights-only int8 pass. */
export interface WeightQuantOptions extends LayerPlanOptions {
  /** One weight scale per output channel (layers not in perChannelLayers). */
  perChannel: boolean;
}

/** Replaces float initializer input `index` of `node` by int8 + DequantizeLinear; `axis` is its output-channel axis. */
function quantizeInput(node: NodeProto, index: number, axis: number, editor: GraphEditor, options: WeightQuantOptions): string | null {
  if (keptFloat(node, editor, options)) return null;
  const name = node.input[index];
  const weight: TensorProto | undefined = editor.initializers.get(name);
  if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length < 2) return null;
  const perChannel = perChannelFor(node, options) ? axis : null;
  const base = editor.fresh(name);
  const w = addInt8Weight(editor, `${base}_`, tensorToFloat32(weight), weight.dims, perChannel);
  const dequantized = `${base}_dequant`;
  editor.insertBefore(node, [
    makeNode('DequantizeLinear', [w.name, w.scale, w.zeroPoint], [dequantized], `${base}_DequantizeLinear`, perChannel === null ? [] : [intAttr('axis', perChannel)]),
  ]);
  // Other readers of the same weight share the dequantized value, except layers kept float.
  for (const reader of editor.consumers(name)) {
    if (reader === node || !options.keepFloat?.includes(layerName(reader))) reader.input = reader.input.map((i) => (i === name ? dequantized : i));
  }
  return `${node.opType} '${node.name ?? ''}': ${weight.dims.join('×')} weights → int8 (${perChannel === null ? 'per tensor' : `per channel, axis ${perChannel}`})`;
}

const rewriters: Record<string, Rewriter<WeightQuantOptions>> = {
  // Gemm B is [K, N], or [N, K] with transB: the output channel is the axis of N.
  Gemm: (node, editor, o) => quantizeInput(node, 1, getIntAttr(node, 'transB', 0) ? 0 : 1, editor, o),
  MatMul: (node, editor, o) => quantizeInput(node, 1, 1, editor, o),
  // Conv W is [Cout, Cin/group, kh, kw].
  Conv: (node, editor, o) => quantizeInput(node, 1, 0, editor, o),
};

/** DequantizeLinear's per-axis form (the `axis` attribute) is opset 13; the per-tensor form opset 10. */
const WEIGHTS_OPSET = 13;

export const weightQuantizationPass: Pass<WeightQuantOptions> = {
  name: 'quantize-weights',
  rewriters,
  ...opsetGuard<WeightQuantOptions>(WEIGHTS_OPSET, new Set(['DequantizeLinear']), `weights-only int8 needs opset ${WEIGHTS_OPSET} (per-axis DequantizeLinear)`, `export with opset_version ≥ ${WEIGHTS_OPSET}`),
};
