// `quantize --mode static`: int8 weights and int8 activations at calibrated ranges (calibrate.ts supplies
// them, so the pass itself stays synchronous), written as QDQ (static-qdq.ts, the default: onnxruntime fuses
// it into integer kernels) or QOperator (static-qoperator.ts: QLinearMatMul / QLinearConv islands). Nodes
// without a float constant weight, or whose ranges were not calibrated, are left alone and reported.
import { GraphEditor } from './editor.js';
import type { ModelProto } from '../onnx/model.js';
import type { CalibrationProbes } from './calibrate.js';
import type { Pass, Rewriter } from './pass.js';
import { rewriteQdq } from './static-qdq.js';
import { rewriteQOperator } from './static-qoperator.js';
import { MIN_OPSET, staticCalibrationProbes, type StaticQuantOptions } from './static-plan.js';
import { opsetGuard } from './opset-guard.js';

export { STATIC_FORMATS, type StaticFormat, type StaticQuantOptions } from './static-plan.js';

const rewrite: Rewriter<StaticQuantOptions> = (node, editor, options) =>
  options.format === 'qoperator' ? rewriteQOperator(node, editor, options) : rewriteQdq(node, editor, options);

const WRITTEN = new Set(['QuantizeLinear', 'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'MatMulInteger']);

export const staticQuantizationPass: Pass<StaticQuantOptions> = {
  name: 'quantize-static',
  rewriters: { Gemm: rewrite, MatMul: rewrite, Conv: rewrite },
  ...opsetGuard<StaticQuantOptions>(MIN_OPSET, WRITTEN, `static int8 needs opset ${MIN_OPSET} (per-axis QuantizeLinear)`, `export with opset_version ≥ ${MIN_OPSET} or use --mode dynamic`),
};

/** The tensors calibration must observe for the pass to rewrite `model` with these options. */
export function probesForStaticPass(model: ModelProto, options: Pick<StaticQuantOptions, 'format' | 'keepInputLayer'>): CalibrationProbes {
  return staticCalibrationProbes(new GraphEditor(model), options);
}
