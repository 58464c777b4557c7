// The element type of every tensor of a graph, as far as a short walk in topological order can tell: from the
// graph's inputs, initializers, Constant nodes and declared value_info, then each op's rule (Cast's `to`,
// ArgMax's int64, comparisons' bool, elementwise ops keep their first input's type, …). Used to tell float32
// Q-values from float64 or integer tensors behind an actions output; unknown stays unknown, never guessed.
import { getIntAttr, topologicalOrder } from '../onnx/graph.js';
import type { GraphProto, NodeProto } from '../onnx/proto.js';
import { DataType } from '../onnx/tensor.js';

const INT64_OUTPUTS = new Set(['ArgMax', 'ArgMin', 'Shape', 'Size', 'NonZero', 'NonMaxSuppression']);
const BOOL_OUTPUTS = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT32_OUTPUTS = new Set(['MatMulInteger', 'ConvInteger']);

/** Output types of `node` given the types known so far (undefined where the rule needs an unknown type). */
function outputTypes(node: NodeProto, typeOf: (name: string) => number | undefined): (number | undefined)[] {
  const op = node.opType ?? '';
  const first = node.input.map(typeOf).find((t) => t !== undefined);
  if (op === 'Cast') return [getIntAttr(node, 'to', 0) || undefined];
  if (op === 'CastLike') return [typeOf(node.input[1])];
  if (INT64_OUTPUTS.has(op)) return [DataType.INT64];
  if (BOOL_OUTPUTS.has(op)) return [DataType.BOOL];
  if (INT32_OUTPUTS.has(op)) return [DataType.INT32];
  if (op === 'TopK') return [typeOf(node.input[0]), DataType.INT64];
  if (op === 'Constant') {
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    return [value?.dataType];
  }
  if (op === 'ConstantOfShape') return [node.attribute.find((a) => a.name === 'value')?.t?.dataType ?? DataType.FLOAT];
  if (op === 'DequantizeLinear') return [typeOf(node.input[1]) ?? DataType.FLOAT];
  if (op === 'QuantizeLinear') return [node.input[2] ? typeOf(node.input[2]) : DataType.UINT8];
  if (op === 'DynamicQuantizeLinear') return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
  if (op === 'QLinearMatMul' || op === 'QLinearConv') return [typeOf(node.input[7])]; // y_zero_point
  if (op === 'Where') return [typeOf(node.input[1])];
  if (op === 'Gather' || op === 'GatherElements' || op === 'GatherND' || op === 'Reshape' || op === 'Expand' || op === 'Tile' || op === 'Slice') return [typeOf(node.input[0])];
  // Elementwise arithmetic, activations, Gemm/MatMul/Conv, reductions, shape ops: the type of their data.
  return node.output.map(() => first);
}

/** Element type (DataType) of each tensor of `graph` whose type is declared or follows from its producer. */
export function inferElementTypes(graph: GraphProto): Map<string, number> {
  const types = new Map<string, number>();
  const declare = (name: string | undefined, type: number | undefined) => {
    if (name && type) types.set(name, type);
  };
  for (const t of graph.initializer ?? []) declare(t.name, t.dataType);
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) declare(v.name, v.type?.tensorType?.elemType);
  for (const node of topologicalOrder(graph)) {
    const inferred = outputTypes(node, (name) => types.get(name));
    node.output.forEach((name, i) => {
      if (!types.has(name)) declare(name, inferred[i]);
    });
  }
  return types;
}
