// Static int8 in QOperator form: standard-domain integer ops that onnxruntime-node and onnxruntime-web's
// wasm backend both run. Each rewritten op is its own island: QuantizeLinear (calibrated uint8) on the way
// in, QLinearMatMul or QLinearConv (int8 weights; QLinearConv adds an int32 bias), DequantizeLinear on the
// way out. A Gemm's bias is added in float after the DequantizeLinear, since QLinearMatMul has no bias
// input; Relu stays float. The layer writing the Q-values uses MatMulInteger instead (see writesQValues).
import { getIntAttr, intAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/model.js';
import { DataType, float32Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import type { ValueRange } from './calibration-methods.js';
import type { GraphEditor } from './editor.js';
import { activationParams, dequantizeNode, int32Bias, quantizeActivation, quantizeWeight, type QuantizedValue } from './int8-nodes.js';
import { weightAsKN } from './matrix.js';
import { productName, quantTarget, rangesNeeded, type QuantTarget, type StaticQuantOptions } from './static-plan.js';
import { keptFloat, perChannelFor } from './layer-plan.js';

/**
 * When the biased product only feeds a Relu, product values below min_j(−bias_j) end at 0 whatever they
 * are, so the range can start there: exact, and up to twice the resolution for the values that count.
 */
function reluAwareRange(target: QuantTarget, editor: GraphEditor, range: ValueRange): ValueRange {
  const readers = editor.consumers(target.output);
  if (!target.bias || readers.length !== 1 || readers[0].opType !== 'Relu' || editor.isGraphOutput(target.output)) return range;
  const bias = tensorToFloat32(target.bias);
  const floor = bias.reduce((lowest, b) => Math.min(lowest, -b), Infinity);
  return { min: Math.max(range.min, Math.min(floor, range.max)), max: range.max };
}

function qlinearConv(node: NodeProto, editor: GraphEditor, target: QuantTarget, x: QuantizedValue, range: ValueRange, perChannel: boolean, base: string): void {
  const y = activationParams(editor, target.output, range);
  const yq = `${target.output}_qd_uint8`;
  const w = quantizeWeight(editor, target, perChannel);
  const bias = target.bias ? [int32Bias(editor, target, x.params, w).name] : [];
  editor.replace(node, [
    makeNode('QLinearConv', [x.name, x.scale, x.zeroPoint, w.name, w.scale, w.zeroPoint, y.scale, y.zeroPoint, ...bias], [yq], `${base}_QLinearConv`, node.attribute),
    dequantizeNode(yq, y.scale, y.zeroPoint, target.output),
  ]);
}

/** Gemm/MatMul → QLinearMatMul (requantized product) or, for the Q-values, MatMulInteger rescaled in float. */
function integerMatMul(node: NodeProto, editor: GraphEditor, target: QuantTarget, x: QuantizedValue, range: ValueRange | null, perChannel: boolean, base: string): void {
  // Both ops take B as [K, N], with one scale per column when per channel.
  const { values, k, n } = weightAsKN(node, target.weight);
  const w = quantizeWeight(editor, target, perChannel, 1, values, [k, n]);
  const product = productName(target);
  const bias = product === target.output ? [] : [makeNode('Add', [product, node.input[2]], [target.output], `${base}_bias_Add`)];
  if (range) {
    const y = activationParams(editor, product, reluAwareRange(target, editor, range));
    // Named after the tensor it quantizes, so that a later reader of that same tensor reuses it.
    const yq = `${product}_qd_uint8`;
    editor.replace(node, [
      makeNode('QLinearMatMul', [x.name, x.scale, x.zeroPoint, w.name, w.scale, w.zeroPoint, y.scale, y.zeroPoint], [yq], `${base}_QLinearMatMul`),
      dequantizeNode(yq, y.scale, y.zeroPoint, product),
      ...bias,
    ]);
    return;
  }
  const scale = `${base}_rescale`;
  editor.addInitializer(float32Tensor(scale, w.perChannelAxis === null ? [] : [n], w.scales.map((s) => Math.fround(s * x.params.scale))));
  editor.replace(node, [
    makeNode('MatMulInteger', [x.name, w.name, x.zeroPoint, w.zeroPoint], [`${base}_int32`], `${base}_MatMulInteger`),
    makeNode('Cast', [`${base}_int32`], [`${base}_float`], `${base}_Cast`, [intAttr('to', DataType.FLOAT)]),
    makeNode('Mul', [`${base}_float`, scale], [product], `${base}_rescale_Mul`),
    ...bias,
  ]);
}

export function rewriteQOperator(node: NodeProto, editor: GraphEditor, options: StaticQuantOptions): string | null {
  if (keptFloat(node, editor, options)) return null;
  const target = quantTarget(node, editor, options.keepInputLayer);
  if (!target) return null;
  const needed = rangesNeeded(target, 'qoperator', editor);
  const outputRange = needed.output ? options.ranges[needed.output] : null;
  if (!options.ranges[needed.input] || (needed.output && !outputRange)) return null;

  const x = quantizeActivation(editor, node, target.input, options.ranges[target.input]);
  const base = editor.fresh(node.name || node.opType);
  const perChannel = perChannelFor(node, options);
  const kind = perChannel ? 'per channel' : 'per tensor';
  if (node.opType === 'Conv') {
    qlinearConv(node, editor, target, x, outputRange!, perChannel, base);
    return `Conv '${node.name ?? ''}' → QLinearConv (int8 weights ${kind}, int32 bias)`;
  }
  integerMatMul(node, editor, target, x, outputRange, perChannel, base);
  const op = outputRange ? 'QLinearMatMul' : 'MatMulInteger (int32 Q-values, rescaled)';
  const [k, n] = getIntAttr(node, 'transB', 0) && node.opType === 'Gemm' ? [...target.weight.dims].reverse() : target.weight.dims;
  return `${node.opType} '${node.name ?? ''}' ${k}×${n} → ${op} (int8 weights ${kind})${target.bias ? ' + float bias' : ''}`;
}
