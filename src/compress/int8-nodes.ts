// Graph pieces the static int8 formats share: a calibrated activation quantized once (QuantizeLinear to
// uint8, reused by every reader), int8 weights that know their channel axis, and int32 biases.
import { intAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/model.js';
import { float32Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import { uint8Params, type QuantParams, type ValueRange } from './calibration-methods.js';
import type { GraphEditor } from './editor.js';
import { addInt8Weight, int32Tensor, quantizeBias, uint8Tensor, type Int8Weight } from './quant-tensors.js';
import type { QuantTarget } from './static-plan.js';

export interface QuantizedValue {
  /** The uint8 tensor. */
  name: string;
  scale: string;
  zeroPoint: string;
  params: QuantParams;
}

/** Scale and zero-point initializers for a calibrated range, named after the float tensor. */
export function activationParams(editor: GraphEditor, tensor: string, range: ValueRange): Omit<QuantizedValue, 'name'> {
  const params = uint8Params(range);
  const scale = `${tensor}_qd_scale`;
  const zeroPoint = `${tensor}_qd_zero`;
  if (!editor.initializers.has(scale)) {
    editor.addInitializer(float32Tensor(scale, [], [params.scale]));
    editor.addInitializer(uint8Tensor(zeroPoint, [], [params.zeroPoint]));
  }
  return { scale, zeroPoint, params };
}

/** QuantizeLinear of a float activation, inserted before `reader`; a second reader reuses the first one's. */
export function quantizeActivation(editor: GraphEditor, reader: NodeProto, tensor: string, range: ValueRange): QuantizedValue {
  const p = activationParams(editor, tensor, range);
  const name = `${tensor}_qd_uint8`;
  if (!editor.producer(name)) editor.insertBefore(reader, [makeNode('QuantizeLinear', [tensor, p.scale, p.zeroPoint], [name], `${tensor}_QuantizeLinear`)]);
  return { name, ...p };
}

interface QuantizedWeight extends Int8Weight {
  perChannelAxis: number | null;
}

/** int8 weight initializers; `values`/`dims` default to the stored weight (a caller may pass it reoriented). */
export function quantizeWeight(editor: GraphEditor, target: QuantTarget, perChannel: boolean, axis = target.channelAxis, values = tensorToFloat32(target.weight), dims = target.weight.dims): QuantizedWeight {
  const perChannelAxis = perChannel ? axis : null;
  const base = editor.fresh(target.weight.name ?? 'weight');
  return { ...addInt8Weight(editor, `${base}_`, values, dims, perChannelAxis), perChannelAxis };
}

/** The bias as int32 at scale input × weight scale (what QLinearConv adds, and what QDQ dequantizes). */
export function int32Bias(editor: GraphEditor, target: QuantTarget, input: QuantParams, weight: QuantizedWeight): { name: string; scale: string; zeroPoint: string; perChannel: boolean } {
  const { q, scales } = quantizeBias(tensorToFloat32(target.bias!), input.scale, weight.scales);
  const base = editor.fresh(target.bias!.name ?? 'bias');
  const shape = scales.length === 1 ? [] : [scales.length];
  editor.addInitializer(int32Tensor(`${base}_int32`, target.bias!.dims, q));
  editor.addInitializer(float32Tensor(`${base}_scale`, shape, scales));
  editor.addInitializer(int32Tensor(`${base}_zero`, shape, new Int32Array(scales.length)));
  return { name: `${base}_int32`, scale: `${base}_scale`, zeroPoint: `${base}_zero`, perChannel: scales.length > 1 };
}

export function dequantizeNode(input: string, scale: string, zeroPoint: string, output: string, axis: number | null = null): NodeProto {
  return makeNode('DequantizeLinear', [input, scale, zeroPoint], [output], `${output}_DequantizeLinear`, axis === null ? [] : [intAttr('axis', axis)]);
}
