// A float16 model (torch's `model.half()` export) as the float32 model that computes the same function with
// float32 arithmetic: float16 initializers, constants, casts and boundary types become float32. Every float16
// value is exactly representable in float32, so the weights are unchanged; only the rounding of intermediate
// results differs (float32 rounds less). Passes and code generators, which work in float32, run on this copy.
import type { AttributeProto, GraphProto, ModelProto, TensorProto, ValueInfoProto } from './proto.js';
import { DataType, float32Tensor, tensorToFloat32 } from './tensor.js';

/** Attributes whose int value names an element type (Cast's `to`, the `dtype` of generator ops). */
const TYPE_ATTRIBUTES = new Set(['to', 'dtype']);

/** True when the model holds float16 anywhere in its boundary, initializers or constants. */
export function hasFloat16(model: ModelProto): boolean {
  const graph = model.graph;
  if (!graph) return false;
  const typed = (v: ValueInfoProto) => v.type?.tensorType?.elemType === DataType.FLOAT16;
  return (
    graph.input.some(typed) ||
    graph.output.some(typed) ||
    graph.initializer.some((t) => t.dataType === DataType.FLOAT16) ||
    graph.node.some((n) => n.attribute.some((a) => a.t?.dataType === DataType.FLOAT16 || (TYPE_ATTRIBUTES.has(a.name ?? '') && a.i === DataType.FLOAT16)))
  );
}

/** A copy of `model` with every float16 tensor, type and cast made float32 (null when it holds no float16). */
export function widenFloat16(model: ModelProto): ModelProto | null {
  if (!hasFloat16(model)) return null;
  const copy = structuredClone(model);
  widenGraph(copy.graph!);
  return copy;
}

function widenTensor(t: TensorProto): TensorProto {
  if (t.dataType !== DataType.FLOAT16) return t;
  const wide = float32Tensor(t.name ?? '', t.dims, tensorToFloat32(t));
  return t.docString ? { ...wide, docString: t.docString } : wide;
}

function widenValueInfo(v: ValueInfoProto): void {
  const tensorType = v.type?.tensorType;
  if (tensorType?.elemType === DataType.FLOAT16) tensorType.elemType = DataType.FLOAT;
}

function widenAttribute(a: AttributeProto): void {
  if (a.t) a.t = widenTensor(a.t);
  if (a.tensors) a.tensors = a.tensors.map(widenTensor);
  if (TYPE_ATTRIBUTES.has(a.name ?? '') && a.i === DataType.FLOAT16) a.i = DataType.FLOAT;
  if (a.g) widenGraph(a.g);
  for (const g of a.graphs ?? []) widenGraph(g);
}

function widenGraph(graph: GraphProto): void {
  graph.initializer = graph.initializer.map(widenTensor);
  for (const v of [...graph.input, ...graph.output, ...(graph.valueInfo ?? [])]) widenValueInfo(v);
  for (const node of graph.node) for (const a of node.attribute) widenAttribute(a);
}
