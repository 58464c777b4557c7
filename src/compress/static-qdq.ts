// Static int8 in QDQ form, written the way onnxruntime's quantizer writes it so that its graph optimizer
// fuses the groups into integer kernels: the activation feeding a Gemm/MatMul/Conv goes through
// QuantizeLinear → DequantizeLinear (calibrated uint8), the weight is stored int8 behind a DequantizeLinear,
// and a 1-D bias is stored int32 at scale input × weight behind one too. The op itself stays float, so
// any runtime with opset 13 runs the file exactly as written.
import type { NodeProto } from '../onnx/model.js';
import type { GraphEditor } from './editor.js';
import { activationParams, dequantizeNode, int32Bias, quantizeActivation, quantizeWeight } from './int8-nodes.js';
import { makeNode } from '../onnx/graph.js';
import { quantTarget, rangesNeeded, type StaticQuantOptions } from './static-plan.js';
import { keptFloat, perChannelFor } from './layer-plan.js';

/** Float activation → Q → DQ (shared by all readers); returns the dequantized name. */
function fakeQuantized(editor: GraphEditor, reader: NodeProto, tensor: string, options: StaticQuantOptions): { name: string; scale: number } {
  const q = quantizeActivation(editor, reader, tensor, options.ranges[tensor]);
  const name = `${tensor}_qd_dequant`;
  if (!editor.producer(name)) editor.insertBefore(reader, [dequantizeNode(q.name, q.scale, q.zeroPoint, name)]);
  return { name, scale: q.params.scale };
}

export function rewriteQdq(node: NodeProto, editor: GraphEditor, options: StaticQuantOptions): string | null {
  if (keptFloat(node, editor, options)) return null;
  const target = quantTarget(node, editor, options.keepInputLayer);
  if (!target) return null;
  const needed = rangesNeeded(target, 'qdq', editor);
  if (!options.ranges[needed.input] || (needed.output && !options.ranges[needed.output])) return null;

  const input = fakeQuantized(editor, node, target.input, options);
  const weight = quantizeWeight(editor, target, perChannelFor(node, options));
  const weightFloat = `${weight.name}_dequant`;
  const added: NodeProto[] = [dequantizeNode(weight.name, weight.scale, weight.zeroPoint, weightFloat, weight.perChannelAxis)];
  const inputs = [input.name, weightFloat, ...node.input.slice(2)];
  const bias = target.bias;
  // Other bias shapes (e.g. a Gemm's [1, N]) stay float.
  if (bias && bias.dims.length === 1 && (weight.perChannelAxis === null || bias.dims[0] === weight.scales.length)) {
    const b = int32Bias(editor, target, { scale: input.scale, zeroPoint: 0 }, weight);
    inputs[2] = `${b.name}_dequant`;
    added.push(dequantizeNode(b.name, b.scale, b.zeroPoint, inputs[2], b.perChannel ? 0 : null));
  }
  editor.insertBefore(node, added);
  node.input = inputs;
  let described = `${node.opType} '${node.name ?? ''}': QDQ int8 (${weight.perChannelAxis === null ? 'per tensor' : 'per channel'})`;
  if (needed.output) {
    // Quantize the output too (QuantizeLinear → DequantizeLinear back to the same name), so readers are unchanged.
    const raw = `${target.output}_qd_float`;
    const p = activationParams(editor, target.output, options.ranges[target.output]);
    node.output = [raw];
    editor.replace(node, [
      node,
      makeNode('QuantizeLinear', [raw, p.scale, p.zeroPoint], [`${target.output}_qd_uint8`], `${target.output}_QuantizeLinear`),
      dequantizeNode(`${target.output}_qd_uint8`, p.scale, p.zeroPoint, target.output),
    ]);
    described += ', output quantized';
  }
  return described;
}
