// How large a model qdistill reads, and the scan that enforces the count limits before a file is decoded.
// Policies are small: the largest real ones qdistill meets (SB3 / RL Zoo NatureCNN imports for Atari, the
// MinAtar CNNs, torch exports with BatchNorm or LayerNorm) have tens of nodes and a few MB of weights; the
// limits sit two to three orders of magnitude above that. What they bound, as measured on a chain of Relu
// nodes ending in a CartPole head (one `eval` episode, the whole process): before the limit, 10^5 nodes
// took 24 s and 640 MB and 10^4 nodes 3.7 s and 275 MB, and decoding 10^6 nodes alone 10.7 s and 1.3 GB
// (the audit saw 240 s and 4.4 GB for `eval` on 10^6); at the limit of 10^4 nodes `eval` stays at about
// 4 s and 280 MB, and 10^6 nodes are refused in about 70 ms, since the scan reads only the tags of the
// graph's repeated fields and builds no message. Tensors are bounded by the file size and, for the ones a
// node makes, by MAX_TENSOR_ELEMENTS (checked by shapes.ts).
import protobuf from 'protobufjs';

/** Largest model file, external data included: 512 MiB. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

/** Most nodes in a graph. */
export const MAX_GRAPH_NODES = 10_000;

/** Most initializers in a graph. */
export const MAX_GRAPH_INITIALIZERS = 10_000;

/**
 * Most entries in each of a graph's input, output and value_info lists (inputs may repeat every initializer,
 * keep_initializers_as_inputs; value_info may name every node output).
 */
export const MAX_GRAPH_VALUE_INFOS = 20_000;

/** Most elements of one tensor, inferred at a batch of 1: 2^27 (512 MiB of float32, the file size limit). */
export const MAX_TENSOR_ELEMENTS = 2 ** 27;

/** How many entries each repeated field of a graph holds. */
export interface GraphCounts {
  node: number;
  initializer: number;
  input: number;
  output: number;
  valueInfo: number;
}

const GRAPH_FIELDS: Record<number, keyof GraphCounts> = { 1: 'node', 5: 'initializer', 11: 'input', 12: 'output', 13: 'valueInfo' };
const MODEL_GRAPH_FIELD = 7;
const LENGTH_DELIMITED = 2;

/**
 * The entries of the main graph's lists, counted from the wire format of a ModelProto without decoding it
 * (protobuf merges a repeated `graph` field, so every occurrence counts). null when the bytes are not a
 * well-formed message: decoding will say what is wrong.
 */
export function scanGraphCounts(bytes: Uint8Array): GraphCounts | null {
  const counts: GraphCounts = { node: 0, initializer: 0, input: 0, output: 0, valueInfo: 0 };
  try {
    const model = protobuf.Reader.create(bytes);
    while (model.pos < model.len) {
      const tag = model.uint32();
      if (tag >>> 3 === MODEL_GRAPH_FIELD && (tag & 7) === LENGTH_DELIMITED) {
        const length = model.uint32();
        const end = model.pos + length;
        if (end > model.len) return null;
        const graph = protobuf.Reader.create(bytes.subarray(model.pos, end));
        while (graph.pos < graph.len) {
          const inner = graph.uint32();
          const field = GRAPH_FIELDS[inner >>> 3];
          if (field && (inner & 7) === LENGTH_DELIMITED) counts[field]++;
          graph.skipType(inner & 7);
        }
        model.pos = end;
      } else {
        model.skipType(tag & 7);
      }
    }
  } catch {
    return null;
  }
  return counts;
}

/** The first count over its limit, as the words of a one-line refusal; null when every count is within. */
export function countProblem(counts: GraphCounts): string | null {
  const over = (n: number, limit: number, what: string) => (n > limit ? `graph has ${n.toLocaleString('en-US')} ${what}; qdistill reads graphs of at most ${limit.toLocaleString('en-US')} ${what}` : null);
  return (
    over(counts.node, MAX_GRAPH_NODES, 'nodes') ??
    over(counts.initializer, MAX_GRAPH_INITIALIZERS, 'initializers') ??
    over(counts.input, MAX_GRAPH_VALUE_INFOS, 'inputs') ??
    over(counts.output, MAX_GRAPH_VALUE_INFOS, 'outputs') ??
    over(counts.valueInfo, MAX_GRAPH_VALUE_INFOS, 'value_info entries')
  );
}
