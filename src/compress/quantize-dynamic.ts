// `quantize --mode dynamic`: int8 weights and activations quantized at run time, the way onnxruntime's own
// quantizer writes it for MatMul: DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_q, A_zp, W_zp) → Cast to
// float → × (A_scale · W_scale), then the bias Add. Gemm (alpha = beta = 1) is first split into that MatMul
// plus Add, with transB folded into the stored weight. Conv becomes ConvInteger the same way (conv-integer.ts).
import { getFloatAttr, getIntAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/model.js';
import { DataType, tensorToFloat32 } from '../onnx/tensor.js';
import type { GraphEditor } from './editor.js';
import { rewriteConvInteger } from './conv-integer.js';
import { dynamicIntegerNodes } from './dynamic-nodes.js';
import { weightAsKN } from './matrix.js';
import type { Pass, Rewriter } from './pass.js';
import { addInt8Weight } from './quant-tensors.js';
import { opsetGuard } from './opset-guard.js';
import { keptFloat, perChannelFor, type LayerPlanOptions } from './layer-plan.js';

/** Options of the dynamic int8 pass. */
export interface DynamicQuantOptions extends LayerPlanOptions {
  /** One weight scale per output channel (layers not in perChannelLayers). */
  perChannel: boolean;
  /** Keep layers that read the observation itself in float (its features span very different ranges). */
  keepInputLayer: boolean;
}

/** Inserts the integer MatMul for A · W (W a float [K, N] weight) before `before`, producing `output`. */
function integerMatMul(editor: GraphEditor, before: NodeProto, a: string, weight: Float32Array, k: number, n: number, output: string, perChannel: boolean, base: string): void {
  const w = addInt8Weight(editor, `${base}_w_`, weight, [k, n], perChannel ? 1 : null);
  editor.insertBefore(before, dynamicIntegerNodes('MatMulInteger', base, a, w, output));
}

const gemm: Rewriter<DynamicQuantOptions> = (node, editor, options) => {
  if (keptFloat(node, editor, options)) return null;
  const [a, w, c] = node.input;
  const weight = editor.initializers.get(w);
  if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length !== 2) return null;
  if (getIntAttr(node, 'transA', 0) || getFloatAttr(node, 'alpha', 1) !== 1 || getFloatAttr(node, 'beta', 1) !== 1) return null;
  if (options.keepInputLayer && editor.readsObservation(node.input[0])) return null;
  const { values: kn, k, n } = weightAsKN(node, weight);
  const base = editor.fresh(node.name || 'gemm');
  const [output] = node.output;
  const product = c ? `${base}_product` : output;
  integerMatMul(editor, node, a, kn, k, n, product, perChannelFor(node, options), base);
  editor.replace(node, c ? [makeNode('Add', [product, c], [output], `${base}_bias_Add`)] : []);
  return `Gemm '${node.name ?? ''}' ${k}×${n} → DynamicQuantizeLinear + MatMulInteger`;
};

const matmul: Rewriter<DynamicQuantOptions> = (node, editor, options) => {
  if (keptFloat(node, editor, options)) return null;
  const [a, w] = node.input;
  const weight = editor.initializers.get(w);
  if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length !== 2) return null;
  if (options.keepInputLayer && editor.readsObservation(node.input[0])) return null;
  const [k, n] = weight.dims;
  const base = editor.fresh(node.name || 'matmul');
  integerMatMul(editor, node, a, tensorToFloat32(weight), k, n, node.output[0], perChannelFor(node, options), base);
  editor.remove(node);
  return `MatMul '${node.name ?? ''}' ${k}×${n} → DynamicQuantizeLinear + MatMulInteger`;
};

const conv: Rewriter<DynamicQuantOptions> = (node, editor, options) => {
  if (keptFloat(node, editor, options)) return null;
  if (options.keepInputLayer && editor.readsObservation(node.input[0])) return null;
  return rewriteConvInteger(node, editor, perChannelFor(node, options));
};

/** DynamicQuantizeLinear is an opset-11 op (MatMulInteger and ConvInteger opset 10). */
const DYNAMIC_OPSET = 11;
const WRITTEN = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger']);

export const dynamicQuantizationPass: Pass<DynamicQuantOptions> = {
  name: 'quantize-dynamic',
  rewriters: { Gemm: gemm, MatMul: matmul, Conv: conv },
  ...opsetGuard<DynamicQuantOptions>(DYNAMIC_OPSET, WRITTEN, `DynamicQuantizeLinear needs opset ${DYNAMIC_OPSET}`, `export with opset_version ≥ ${DYNAMIC_OPSET}`),
};
