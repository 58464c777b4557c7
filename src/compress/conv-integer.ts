// Conv for `quantize --mode dynamic`: DynamicQuantizeLinear on the input, ConvInteger with int8 weights
// (symmetric, so one scalar zero point 0 serves per-channel scales too), Cast to float, × (input scale ·
// weight scale) with the per-channel scales shaped [1, C, 1, 1], then the bias added as [1, C, 1, 1].
// onnxruntime 1.30's CPU kernel (and onnxruntime-web's wasm build of it) takes uint8 input × int8 weights.
import { makeNode } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/model.js';
import { DataType, float32Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import { dynamicIntegerNodes } from './dynamic-nodes.js';
import type { GraphEditor } from './editor.js';
import { addInt8Weight } from './quant-tensors.js';

/** Rewrites a Conv with constant float weights (and bias); null when it has another form. */
export function rewriteConvInteger(node: NodeProto, editor: GraphEditor, perChannel: boolean): string | null {
  const [x, w, b] = node.input;
  const weight = editor.initializers.get(w);
  const bias = b ? editor.initializers.get(b) : undefined;
  if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length < 3) return null;
  if (b && (!bias || bias.dataType !== DataType.FLOAT || bias.dims.length !== 1)) return null;
  const channels = weight.dims[0];
  const spatial = weight.dims.slice(2).map(() => 1); // [1, C, 1, 1] for 2-D convs: broadcasts over NCHW
  const base = editor.fresh(node.name || 'conv');
  const int8 = addInt8Weight(editor, `${base}_w_`, tensorToFloat32(weight), weight.dims, perChannel ? 0 : null, { scale: perChannel ? [1, channels, ...spatial] : [], zeroPoint: [] });
  const [output] = node.output;
  const product = bias ? `${base}_product` : output;
  const nodes = dynamicIntegerNodes('ConvInteger', base, x, int8, product, node.attribute);
  if (bias) {
    const reshaped = `${base}_bias`;
    editor.addInitializer(float32Tensor(reshaped, [1, channels, ...spatial], tensorToFloat32(bias)));
    nodes.push(makeNode('Add', [product, reshaped], [output], `${base}_bias_Add`));
  }
  editor.replace(node, nodes);
  return `Conv '${node.name ?? ''}' ${weight.dims.join('×')} → DynamicQuantizeLinear + ConvInteger (int8 weights ${perChannel ? 'per channel' : 'per tensor'})`;
}
