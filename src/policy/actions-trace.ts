// Where the actions of an integer (actions) output come from: walking back from it through the ops that only
// reshape or retype indices, an ArgMax over the actions axis, or a TopK with k = 1 (torch's
// `torch.topk(q, 1).indices`), reads the Q-values; casts that widen a float tensor before it (torch's
// `q.double().argmax(1)`) are stepped over, since they keep the order exactly. The Q-values must be float32
// (float16 for float16 files): anything else — an action table looked up after the ArgMax, a comparison, a
// network computed in float64 — leaves the file an actions-only policy, and the trace says why in words.
import { getIntAttr } from '../onnx/graph.js';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/proto.js';
import { DataType, dataTypeName, tensorToFloat64 } from '../onnx/tensor.js';
import { inferElementTypes } from './element-types.js';

/** What feeds an actions output: the float Q-values tensor and the op that takes their argmax, or why there is none. */
export type ActionsTrace = { qValues: string; via: 'ArgMax' | 'TopK' } | { qValues: null; why: string };

/** Ops through which an actions tensor keeps its values (one action per observation). */
const INDEX_PRESERVING = new Set(['Cast', 'Identity', 'Squeeze', 'Unsqueeze', 'Reshape', 'Flatten']);
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

function constantValues(model: ModelProto, name: string): number[] | null {
  const graph = model.graph!;
  let tensor: TensorProto | undefined = graph.initializer.find((t) => t.name === name);
  if (!tensor) tensor = graph.node.find((n) => n.opType === 'Constant' && n.output[0] === name)?.attribute.find((a) => a.name === 'value')?.t;
  return tensor ? Array.from(tensorToFloat64(tensor)) : null;
}

const described = (node: NodeProto) => `${node.opType} '${node.name || node.output[0]}'`;

/**
 * The float Q-values whose argmax the integer output `output` is, or why none can be read: `qType` is the
 * element type they must have (FLOAT, or FLOAT16 for a float16 file).
 */
export function traceActions(model: ModelProto, output: string, qType: number): ActionsTrace {
  const producers = new Map<string, { node: NodeProto; index: number }>();
  for (const node of model.graph!.node) node.output.forEach((out, index) => producers.set(out, { node, index }));
  let value = output;
  let reader: { node: NodeProto; via: 'ArgMax' | 'TopK' } | null = null;
  for (let hops = 0; hops < 8 && !reader; hops++) {
    const found = producers.get(value);
    if (!found) return { qValues: null, why: `no ArgMax computes '${value}'` };
    const { node, index } = found;
    if (node.opType === 'ArgMax') {
      const axis = getIntAttr(node, 'axis', 0);
      if (axis !== 1 && axis !== -1) return { qValues: null, why: `${described(node)} is over axis ${axis}, not the actions` };
      if (getIntAttr(node, 'select_last_index', 0) !== 0) return { qValues: null, why: `${described(node)} picks the last of tied values` };
      reader = { node, via: 'ArgMax' };
    } else if (node.opType === 'TopK' && index === 1) {
      const k = node.input[1] ? constantValues(model, node.input[1]) : [getIntAttr(node, 'k', 0)];
      const axis = getIntAttr(node, 'axis', -1);
      if (!k || k.length !== 1 || k[0] !== 1 || (axis !== 1 && axis !== -1) || getIntAttr(node, 'largest', 1) !== 1) {
        return { qValues: null, why: `${described(node)} is not the largest single value over the actions (k = 1, axis 1, largest)` };
      }
      reader = { node, via: 'TopK' };
    } else if (INDEX_PRESERVING.has(node.opType ?? '')) {
      value = node.input[0];
    } else {
      return { qValues: null, why: `the actions come from ${described(node)}, not straight from an ArgMax of Q-values` };
    }
  }
  if (!reader) return { qValues: null, why: 'no ArgMax within 8 nodes of the output' };
  const types = inferElementTypes(model.graph!);
  let qValues = reader.node.input[0];
  // torch's q.double().argmax(1): a Cast that widens a float keeps the order, so the Q-values are before it.
  for (let hops = 0; hops < 4; hops++) {
    const found = producers.get(qValues);
    if (!found || found.node.opType !== 'Cast') break;
    const from = types.get(found.node.input[0]);
    const to = getIntAttr(found.node, 'to', 0);
    const widens = from !== undefined && FLOAT_TYPES.has(from) && (to === DataType.DOUBLE || (to === DataType.FLOAT && from !== DataType.DOUBLE));
    if (!widens) break;
    qValues = found.node.input[0];
  }
  const type = types.get(qValues);
  if (type !== undefined && type !== qType) {
    return { qValues: null, why: `${described(reader.node)} reads ${dataTypeName(type).toLowerCase()} '${qValues}', not ${dataTypeName(qType).toLowerCase()} Q-values` };
  }
  return { qValues, via: reader.via };
}
