// What static int8 quantization rewrites and which activation ranges it needs: shared by the calibration
// (to know what to observe) and by the QDQ and QOperator rewriters (to find the ranges they were given).
import { getFloatAttr, getIntAttr, makeNode, tensorAttr } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, float32Tensor } from '../onnx/tensor.js';
import { opsetUpgradeBlocker } from '../onnx/opset-upgrade.js';
import type { ValueRange } from './calibration-methods.js';
import type { GraphEditor } from './editor.js';
import type { LayerPlanOptions } from './layer-plan.js';

export const STATIC_FORMATS = ['qdq', 'qoperator'] as const;
/** How a static int8 graph is written: QuantizeLinear/DequantizeLinear pairs (qdq), or QLinear* operators (qoperator). */
export type StaticFormat = (typeof STATIC_FORMATS)[number];

/** Options of the static int8 pass. */
export interface StaticQuantOptions extends LayerPlanOptions {
  /** QDQ pairs or QOperator ops. */
  format: StaticFormat;
  /** One weight scale per output channel (layers not in perChannelLayers). */
  perChannel: boolean;
  /** Keep layers that read the observation itself in float (its features span very different ranges). */
  keepInputLayer: boolean;
  /** Calibrated float ranges by tensor name (see staticCalibrationProbes). */
  ranges: Record<string, ValueRange>;
  /** How the ranges were obtained, recorded in the file's qdistill.passes. */
  calibration?: { source: string; states: number; method: string };
}

/** A Gemm, MatMul or Conv whose weight (and bias, if any) are float constants: what the pass can rewrite. */
export interface QuantTarget {
  node: NodeProto;
  input: string;
  weight: TensorProto;
  /** A float constant bias, or null (none, or one the rewriters keep as it is). */
  bias: TensorProto | null;
  output: string;
  /** The weight's output-channel axis, for per-channel scales. */
  channelAxis: number;
}

/** Opset 13 brought per-axis QuantizeLinear/DequantizeLinear; older files are raised to it where their ops allow. */
export const MIN_OPSET = 13;

function defaultOpset(editor: GraphEditor): number {
  return editor.model.opsetImport?.find((o) => !o.domain)?.version ?? 0;
}

function floatConstant(editor: GraphEditor, name: string | undefined): TensorProto | undefined {
  const t = name ? editor.initializers.get(name) : undefined;
  return t && t.dataType === DataType.FLOAT ? t : undefined;
}

export function quantTarget(node: NodeProto, editor: GraphEditor, keepInputLayer: boolean): QuantTarget | null {
  if (defaultOpset(editor) < MIN_OPSET && opsetUpgradeBlocker(editor.model, MIN_OPSET)) return null;
  if (keepInputLayer && editor.readsObservation(node.input[0])) return null;
  const [input, w, b] = node.input;
  const weight = floatConstant(editor, w);
  if (!weight) return null;
  const hasBias = b !== undefined && b !== '';
  const bias = hasBias ? floatConstant(editor, b) : undefined;
  if (hasBias && !bias) return null;
  const output = node.output[0];
  if (node.opType === 'Gemm') {
    if (weight.dims.length !== 2 || getIntAttr(node, 'transA', 0) || getFloatAttr(node, 'alpha', 1) !== 1 || getFloatAttr(node, 'beta', 1) !== 1) return null;
    return { node, input, weight, bias: bias ?? null, output, channelAxis: getIntAttr(node, 'transB', 0) ? 0 : 1 };
  }
  if (node.opType === 'MatMul') {
    if (weight.dims.length !== 2) return null;
    return { node, input, weight, bias: null, output, channelAxis: 1 };
  }
  if (node.opType === 'Conv') {
    if (weight.dims.length < 3 || (bias && bias.dims.length !== 1)) return null;
    return { node, input, weight, bias: bias ?? null, output, channelAxis: 0 };
  }
  return null;
}

/** The tensor holding a Gemm's product before its bias: a QLinearMatMul output has no room for the bias. */
export function productName(target: QuantTarget): string {
  return target.node.opType === 'Gemm' && target.bias ? `${target.output}_product` : target.output;
}

/**
 * A Gemm/MatMul writing the graph's output (the Q-values) leaves the integer domain in int32 (MatMulInteger)
 * instead of being requantized: one uint8 step of the Q-value range is larger than the gap between the two
 * best actions in many states, and requantizing there costs about 1% action agreement on the students.
 */
function writesQValues(target: QuantTarget, editor: GraphEditor): boolean {
  return target.node.opType !== 'Conv' && editor.isGraphOutput(target.output);
}

/**
 * The float tensors whose ranges a rewrite needs: the activation it reads, and what it outputs in the
 * integer domain — QOperator ops output int8 (the product before a Gemm's bias); in QDQ, Conv's output is
 * quantized too so that onnxruntime fuses the group into QLinearConv.
 */
export function rangesNeeded(target: QuantTarget, format: StaticFormat, editor: GraphEditor): { input: string; output: string | null } {
  if (format === 'qoperator') return { input: target.input, output: writesQValues(target, editor) ? null : productName(target) };
  return { input: target.input, output: target.node.opType === 'Conv' ? target.output : null };
}

/** Every tensor to observe for these options, with the nodes that compute the ones the float graph lacks. */
export function staticCalibrationProbes(editor: GraphEditor, options: Pick<StaticQuantOptions, 'format' | 'keepInputLayer'>): { tensors: string[]; extraNodes: NodeProto[] } {
  const tensors = new Set<string>();
  const extraNodes: NodeProto[] = [];
  for (const node of editor.nodes) {
    if (!['Gemm', 'MatMul', 'Conv'].includes(node.opType)) continue;
    const target = quantTarget(node, editor, options.keepInputLayer);
    if (!target) continue;
    const { input, output } = rangesNeeded(target, options.format, editor);
    tensors.add(input);
    if (output) tensors.add(output);
    if (output && output !== target.output) {
      // The product without the bias; C is an explicit zero because Gemm requires it before opset 11.
      const zero = `${output}_calibration_zero`;
      extraNodes.push(makeNode('Constant', [], [zero], zero, [tensorAttr('value', float32Tensor(zero, [], [0]))]));
      extraNodes.push(makeNode('Gemm', [target.input, target.node.input[1], zero], [output], `${output}_calibration`, target.node.attribute));
    }
  }
  return { tensors: [...tensors], extraNodes };
}
