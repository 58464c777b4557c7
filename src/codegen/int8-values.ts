// What the lowering (program.ts, int8-lower.ts) knows about a tensor of an int8 graph that is not (yet) a float
// buffer of the program: 8-bit codes, their dequantized value, DynamicQuantizeLinear's three outputs, an int32
// product waiting for the Cast and Mul that bring it back to float. Kept apart from both lowering files so that
// neither imports the other's types.
import type { NodeProto } from '../onnx/model.js';
import type { Conv2dStep, DenseStep, StaticQuantization } from './program-types.js';

/** A float tensor in a program buffer. */
export interface Placed {
  buffer: number;
  /** Shape of one observation's tensor (no batch dimension). */
  shape: number[];
}


/** The deferred values of the int8 forms; `node` made the value (for messages). */
export type Int8Value =
  /**
   * 8-bit codes of the float tensor `of` at `quant`: QuantizeLinear of it (exact false), or the output of a
   * QLinearMatMul/QLinearConv whose step already wrote their dequantized values into `of` (exact true).
   */
  | { deferred: 'codes'; of: Placed; quant: StaticQuantization; exact: boolean; node: NodeProto }
  /** DequantizeLinear(QuantizeLinear(of)): computed only when something other than an integer product reads it. */
  | { deferred: 'dequantized'; of: Placed; quant: StaticQuantization; node: NodeProto }
  /** One output of DynamicQuantizeLinear(of). */
  | { deferred: 'dynamic'; part: 'codes' | 'scale' | 'zero'; of: Placed; node: NodeProto }
  /** MatMulInteger/ConvInteger's int32 output (after Cast to float when `float`); the step is emitted by the Mul. */
  | { deferred: 'int32'; step: DenseStep | Conv2dStep; shape: number[]; float: boolean; node: NodeProto; source: NodeProto | null }
  /** Mul(DynamicQuantizeLinear's scale, the weight scales): the factor the dynamic form rescales by. */
  | { deferred: 'scale-product'; source: NodeProto; weightScales: Float32Array; dims: number[]; node: NodeProto };
