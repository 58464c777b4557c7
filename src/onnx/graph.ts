// Small builders and readers for graphs: nodes, attributes, value infos, models, metadata, and the
// topological order that validation and the compression passes walk.
import type { AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeDimension, ValueInfoProto } from './proto.js';
import { AttributeType, cleanName, OnnxFormatError, quoteName } from './schema.js';

const DEFAULT_OPSET = 17;
const DEFAULT_IR_VERSION = 8;

export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name?: string,
  attributes: AttributeProto[] = [],
  domain?: string,
): NodeProto {
  const node: NodeProto = { input: [...inputs], output: [...outputs], opType, attribute: attributes };
  if (name !== undefined) node.name = name;
  if (domain !== undefined) node.domain = domain;
  return node;
}

function checkInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`attribute '${name}': ${value} is not a safe integer`);
  return value;
}

export function intAttr(name: string, value: number): AttributeProto {
  return { name, type: AttributeType.INT, i: checkInt(name, value) };
}

export function intsAttr(name: string, values: readonly number[]): AttributeProto {
  return { name, type: AttributeType.INTS, ints: values.map((v) => checkInt(name, v)) };
}

/** Attribute floats are float32 on the wire; rounding here keeps built and decoded models equal. */
export function floatAttr(name: string, value: number): AttributeProto {
  return { name, type: AttributeType.FLOAT, f: Math.fround(value) };
}

export function floatsAttr(name: string, values: readonly number[]): AttributeProto {
  return { name, type: AttributeType.FLOATS, floats: values.map((v) => Math.fround(v)) };
}

export function stringAttr(name: string, value: string): AttributeProto {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

export function tensorAttr(name: string, value: TensorProto): AttributeProto {
  return { name, type: AttributeType.TENSOR, t: value };
}

/** The attribute's type: its `type` field, or for files that omit it, the one value field that is set. */
export function attributeType(a: AttributeProto): AttributeType {
  if (a.type) return a.type;
  if (a.f !== undefined) return AttributeType.FLOAT;
  if (a.i !== undefined) return AttributeType.INT;
  if (a.s !== undefined) return AttributeType.STRING;
  if (a.t !== undefined) return AttributeType.TENSOR;
  if (a.g !== undefined) return AttributeType.GRAPH;
  if (a.floats?.length) return AttributeType.FLOATS;
  if (a.ints?.length) return AttributeType.INTS;
  if (a.strings?.length) return AttributeType.STRINGS;
  if (a.tensors?.length) return AttributeType.TENSORS;
  if (a.graphs?.length) return AttributeType.GRAPHS;
  return AttributeType.UNDEFINED;
}

/** How a node is named in messages: 'name', or #index when it has none. */
export function nodeName(node: NodeProto, index?: number): string {
  return node.name ? quoteName(node.name) : index === undefined ? '(unnamed)' : `#${index}`;
}

/** "node 'fc1' (Gemm)". */
export function describeNode(node: NodeProto, index?: number): string {
  return `node ${nodeName(node, index)} (${cleanName(node.opType ?? '') || 'no op_type'})`;
}

export function getAttr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function typed(node: NodeProto, name: string, expected: AttributeType): AttributeProto | undefined {
  const a = getAttr(node, name);
  if (!a) return undefined;
  const actual = attributeType(a);
  if (actual !== expected) {
    throw new OnnxFormatError(`${describeNode(node)}: attribute '${name}' should be ${AttributeType[expected]}, not ${AttributeType[actual] ?? actual}`);
  }
  return a;
}

export function getIntAttr(node: NodeProto, name: string): number | undefined;
export function getIntAttr(node: NodeProto, name: string, fallback: number): number;
export function getIntAttr(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = typed(node, name, AttributeType.INT);
  return a ? (a.i ?? 0) : fallback;
}

export function getIntsAttr(node: NodeProto, name: string): number[] | undefined;
export function getIntsAttr(node: NodeProto, name: string, fallback: number[]): number[];
export function getIntsAttr(node: NodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = typed(node, name, AttributeType.INTS);
  return a ? (a.ints ?? []) : fallback;
}

export function getFloatAttr(node: NodeProto, name: string): number | undefined;
export function getFloatAttr(node: NodeProto, name: string, fallback: number): number;
export function getFloatAttr(node: NodeProto, name: string, fallback?: number): number | undefined {
  const a = typed(node, name, AttributeType.FLOAT);
  return a ? (a.f ?? 0) : fallback;
}

export function getStringAttr(node: NodeProto, name: string): string | undefined;
export function getStringAttr(node: NodeProto, name: string, fallback: string): string;
export function getStringAttr(node: NodeProto, name: string, fallback?: string): string | undefined {
  const a = typed(node, name, AttributeType.STRING);
  return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : fallback;
}

/** A tensor value info; dims: number → fixed, string → symbolic (dim_param), null → unknown; no dims → unknown rank. */
export function tensorValueInfo(name: string, elemType: number, dims?: readonly (number | string | null)[]): ValueInfoProto {
  const tensorType: NonNullable<NonNullable<ValueInfoProto['type']>['tensorType']> = { elemType };
  if (dims) {
    tensorType.shape = {
      dim: dims.map((d): TensorShapeDimension => (d === null ? {} : typeof d === 'string' ? { dimParam: d } : { dimValue: checkInt(name, d) })),
    };
  }
  return { name, type: { tensorType } };
}

/** The shape a value info declares (null: unknown rank); unknown dims come back as null. */
export function valueInfoDims(info: ValueInfoProto): (number | string | null)[] | null {
  const shape = info.type?.tensorType?.shape;
  if (!shape) return null;
  return shape.dim.map((d) => d.dimValue ?? d.dimParam ?? null);
}

interface MakeModelOptions {
  graph: GraphProto;
  /** Default-domain opset (17 unless given). */
  opset?: number;
  /** Further opset imports (other domains). */
  extraOpsets?: OperatorSetIdProto[];
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export function makeModel(options: MakeModelOptions): ModelProto {
  const model: ModelProto = {
    irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
    producerName: options.producerName ?? 'qdistill',
    // The reference checker requires a graph name.
    graph: options.graph.name ? options.graph : { ...options.graph, name: 'main' },
    opsetImport: [{ domain: '', version: options.opset ?? DEFAULT_OPSET }, ...(options.extraOpsets ?? [])],
  };
  if (options.producerVersion !== undefined) model.producerVersion = options.producerVersion;
  if (options.docString !== undefined) model.docString = options.docString;
  setMetadata(model, options.metadata ?? {});
  return model;
}

/** metadata_props as a record (a repeated key keeps its last value). */
export function metadataOf(model: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of model.metadataProps ?? []) out[entry.key ?? ''] = entry.value ?? '';
  return out;
}

/** Set (string) or remove (null) metadata entries in place, keeping the order of the ones that stay. */
export function setMetadata(model: ModelProto, entries: Record<string, string | null>): void {
  const props = [...(model.metadataProps ?? [])];
  for (const [key, value] of Object.entries(entries)) {
    const at = props.findIndex((e) => (e.key ?? '') === key);
    if (value === null) {
      for (let i = props.length - 1; i >= 0; i--) if ((props[i].key ?? '') === key) props.splice(i, 1);
    } else if (at >= 0) {
      props[at] = { key, value };
    } else {
      props.push({ key, value });
    }
  }
  if (props.length) model.metadataProps = props;
  else delete model.metadataProps;
}

/**
 * The nodes in an order where every node comes after the nodes whose outputs it reads (the file's own
 * order when it is already sorted). Inputs no node produces are treated as given. A cycle is an
 * OnnxFormatError naming a node on it.
 */
export function topologicalOrder(graph: GraphProto): NodeProto[] {
  const nodes = graph.node;
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const out of node.output) if (out !== '' && !producer.has(out)) producer.set(out, i);
  });
  const state = new Uint8Array(nodes.length); // 0: not seen, 1: on the current path, 2: placed
  const order: NodeProto[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root]) continue;
    // Depth-first without recursion, so a long chain of nodes cannot overflow the stack.
    const stack: { node: number; next: number }[] = [{ node: root, next: 0 }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const inputs = nodes[top.node].input;
      if (top.next < inputs.length) {
        const from = producer.get(inputs[top.next++]);
        if (from === undefined || state[from] === 2) continue;
        if (state[from] === 1) throw new OnnxFormatError(`graph has a cycle through node ${nodeName(nodes[from], from)}`);
        state[from] = 1;
        stack.push({ node: from, next: 0 });
      } else {
        state[top.node] = 2;
        order.push(nodes[top.node]);
        stack.pop();
      }
    }
  }
  return order;
}
