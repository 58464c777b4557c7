// The node chain `quantize --mode dynamic` writes for one integer op, the way onnxruntime's quantizer does:
// DynamicQuantizeLinear on the float input, MatMulInteger or ConvInteger against the int8 weight, Cast of
// the int32 result to float, × (input scale · weight scale).
import { intAttr, makeNode } from '../onnx/graph.js';
import type { AttributeProto, NodeProto } from '../onnx/model.js';
import { DataType } from '../onnx/tensor.js';
import type { Int8Weight } from './quant-tensors.js';

/** The nodes computing `output` from float `input`; their values are named `${base}_…`. */
export function dynamicIntegerNodes(op: 'MatMulInteger' | 'ConvInteger', base: string, input: string, weight: Int8Weight, output: string, attributes: AttributeProto[] = []): NodeProto[] {
  // The quantized input is named after the spec's name for it: A of MatMul, X of Conv.
  const letter = op === 'MatMulInteger' ? 'a' : 'x';
  const [q, scale, zero, y32, yf, rescale] = [`${letter}_uint8`, `${letter}_scale`, `${letter}_zero`, 'int32', 'float', 'scale'].map((s) => `${base}_${s}`);
  return [
    makeNode('DynamicQuantizeLinear', [input], [q, scale, zero], `${base}_DynamicQuantizeLinear`),
    makeNode(op, [q, weight.name, zero, weight.zeroPoint], [y32], `${base}_${op}`, attributes),
    makeNode('Cast', [y32], [yf], `${base}_Cast`, [intAttr('to', DataType.FLOAT)]),
    makeNode('Mul', [scale, weight.scale], [rescale], `${base}_scale_Mul`),
    makeNode('Mul', [yf, rescale], [output], `${base}_Mul`),
  ];
}
