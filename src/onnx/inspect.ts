// What a model is: versions, inputs and outputs, operators, parameters, bytes of weights, and the
// multiply-accumulates one inference at batch 1 costs. MACs are read from the shapes the model's
// validation infers (shapes.ts): batch dims count as 1; a dim it cannot resolve makes the MAC count
// null rather than wrong.
import { getIntAttr, metadataOf, valueInfoDims } from './graph.js';
import { escapeControl } from '../util/escape.js';
import type { ModelProto, NodeProto, ValueInfoProto } from './model.js';
import { OnnxFormatError } from './schema.js';
import { DataType, dataTypeName, isFloatType, isIntegerType, tensorByteLength, tensorElementCount } from './tensor.js';
import { isDefaultDomain, opFacts } from './ops.js';
import type { Dim } from './dims.js';
import { inferShapes, type GraphShapes } from './shapes.js';

/** A graph input or output. */
interface ValueSummary {
  /** The tensor's name. */
  name: string;
  /** ONNX element type name, e.g. 'FLOAT'. */
  elemType: string;
  /** Declared shape: numbers, symbolic names, '?' for unknown dims; null when the rank is unknown. */
  dims: (number | string)[] | null;
}

/** What inspect() reports about a model file: versions, inputs and outputs, operators, parameters, bytes, MACs. */
export interface ModelSummary {
  /** ONNX IR version of the file. */
  irVersion: number;
  /** Opset version by domain ('ai.onnx' for the default domain). */
  opsets: Record<string, number>;
  /** The tool that wrote the file ('' when unset). */
  producerName: string;
  /** Its version ('' when unset). */
  producerVersion: string;
  /** Graph inputs that are not initializers: what a caller feeds. */
  inputs: ValueSummary[];
  /** Graph outputs. */
  outputs: ValueSummary[];
  /** Nodes in the main graph. */
  nodeCount: number;
  /** Number of nodes per operator. */
  opHistogram: Record<string, number>;
  /**
   * Elements of the weights: every float initializer and Constant value, and the integer ones other than INT64
   * (int8/uint8 quantized weights, their zero points, int32 biases). INT64 tensors are shapes, axes, pads and
   * indices (Reshape's target, Unsqueeze's axes…), not weights; their bytes still appear in bytesByType.
   */
  parameters: number;
  /** Bytes of those tensors by data type name. */
  bytesByType: Record<string, number>;
  /** Bytes of the initializers alone. */
  initializerBytes: number;
  /** Multiply-accumulates of one inference at batch 1; null when some shape could not be inferred. */
  macs: number | null;
  /** MACs by operator, for the nodes whose count is known. */
  macsByOp: Record<string, number>;
  /** The file's metadata_props, key → value (qdistill.* among them). */
  metadata: Record<string, string>;
}

/** Elements and bytes held by a Constant node, by data type; undefined for string constants. */
function constantTensor(node: NodeProto): { type: number; elements: number; bytes: number } | undefined {
  for (const a of node.attribute) {
    if (a.name === 'value' && a.t && (isFloatType(a.t.dataType) || isIntegerType(a.t.dataType))) {
      return { type: a.t.dataType!, elements: tensorElementCount(a.t), bytes: tensorByteLength(a.t) };
    }
    if (a.name === 'value_float') return { type: DataType.FLOAT, elements: 1, bytes: 4 };
    if (a.name === 'value_floats') return { type: DataType.FLOAT, elements: a.floats?.length ?? 0, bytes: 4 * (a.floats?.length ?? 0) };
    if (a.name === 'value_int') return { type: DataType.INT64, elements: 1, bytes: 8 };
    if (a.name === 'value_ints') return { type: DataType.INT64, elements: a.ints?.length ?? 0, bytes: 8 * (a.ints?.length ?? 0) };
  }
  return undefined;
}

/** A dim at batch 1: its size, where it is a number or made of batch symbols only; null where unknown. */
function atBatchOne(d: Dim, batch: ReadonlySet<string>): number | null {
  if (d === null || typeof d === 'number') return d;
  return d.syms.every((s) => batch.has(s)) ? d.coef : null;
}

/** Elements of a tensor at batch 1, or null. */
function elementsAtBatchOne(dims: readonly Dim[] | null | undefined, batch: ReadonlySet<string>): number | null {
  if (!dims) return null;
  let p = 1;
  for (const d of dims) {
    const n = atBatchOne(d, batch);
    if (n === null) return null;
    p *= n;
  }
  return p;
}

/**
 * Multiply-accumulates of one node at batch 1, from the shapes around it: each output element of a Gemm or
 * MatMul sums K products, each of a Conv one per weight of its group's filter; undefined for other ops.
 */
function nodeMacs(node: NodeProto, { shapes, batch }: GraphShapes): number | null | undefined {
  const facts = opFacts(node.opType);
  if (facts?.weightInput === undefined || (facts.kind !== 'gemm' && facts.kind !== 'matmul' && facts.kind !== 'convolution')) return undefined;
  const outputs = elementsAtBatchOne(shapes.get(node.output[0])?.dims, batch);
  const a = shapes.get(node.input[0])?.dims;
  const w = shapes.get(node.input[facts.weightInput])?.dims;
  let perOutput: number | null = null;
  if (facts.kind === 'convolution') perOutput = w && w.length >= 3 ? elementsAtBatchOne(w.slice(1), batch) : null;
  else if (facts.kind === 'gemm') {
    const transA = getIntAttr(node, 'transA', 0) !== 0;
    const transB = getIntAttr(node, 'transB', 0) !== 0;
    perOutput = (a?.length === 2 ? atBatchOne(a[transA ? 0 : 1], batch) : null) ?? (w?.length === 2 ? atBatchOne(w[transB ? 1 : 0], batch) : null);
  } else {
    perOutput = a && a.length > 0 ? atBatchOne(a[a.length - 1], batch) : null;
    if (perOutput === null && w && w.length > 0) perOutput = atBatchOne(w.length >= 2 ? w[w.length - 2] : w[0], batch);
  }
  return outputs === null || perOutput === null ? null : outputs * perOutput;
}

/** Whether a tensor of this type holds weights (parameters) rather than shapes, axes or indices (INT64). */
function isWeightType(type: number): boolean {
  return isFloatType(type) || (isIntegerType(type) && type !== DataType.INT64 && type !== DataType.UINT64);
}

function valueSummary(info: ValueInfoProto): ValueSummary {
  const dims = valueInfoDims(info);
  return {
    name: info.name ?? '',
    elemType: dataTypeName(info.type?.tensorType?.elemType),
    dims: dims ? dims.map((d) => d ?? '?') : null,
  };
}

/** ModelSummary of a decoded model; OnnxFormatError (a UsageError) when it has no graph. */
export function inspectModel(model: ModelProto): ModelSummary {
  const graph = model.graph;
  if (!graph) throw new OnnxFormatError('model has no graph');
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) opsets[isDefaultDomain(o.domain) ? 'ai.onnx' : o.domain!] = o.version ?? 0;

  let parameters = 0;
  let initializerBytes = 0;
  const bytesByType: Record<string, number> = {};
  const count = (type: number, elements: number, bytes: number) => {
    if (isWeightType(type)) parameters += elements;
    const name = dataTypeName(type);
    bytesByType[name] = (bytesByType[name] ?? 0) + bytes;
  };
  for (const t of graph.initializer) {
    const bytes = tensorByteLength(t);
    initializerBytes += bytes;
    if (isFloatType(t.dataType) || isIntegerType(t.dataType)) count(t.dataType!, tensorElementCount(t), bytes);
  }

  const opHistogram: Record<string, number> = {};
  const macsByOp: Record<string, number> = {};
  let macs: number | null = 0;
  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  const shapes = inferShapes(model);
  for (const node of graph.node) {
    const op = node.opType ?? '';
    opHistogram[op] = (opHistogram[op] ?? 0) + 1;
    if (op === 'Constant') {
      const held = constantTensor(node);
      if (held) count(held.type, held.elements, held.bytes);
    }
    const nodeCount = nodeMacs(node, shapes);
    if (nodeCount === undefined) continue;
    if (nodeCount === null || !Number.isFinite(nodeCount)) macs = null;
    else {
      macsByOp[op] = (macsByOp[op] ?? 0) + nodeCount;
      if (macs !== null) macs += nodeCount;
    }
  }

  return {
    irVersion: model.irVersion ?? 0,
    opsets,
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    inputs: graph.input.filter((i) => !initializerNames.has(i.name ?? '')).map(valueSummary),
    outputs: graph.output.map(valueSummary),
    nodeCount: graph.node.length,
    opHistogram,
    parameters,
    bytesByType,
    initializerBytes,
    macs,
    macsByOp,
    metadata: metadataOf(model),
  };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(2)} MiB`;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatValue(v: ValueSummary): string {
  return `${v.name}  ${v.elemType} ${v.dims ? `[${v.dims.join(', ')}]` : '(shape unknown)'}`;
}

function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A readable multi-line description for terminals. */
export function formatSummary(s: ModelSummary): string {
  const rows: [string, string][] = [];
  const add = (label: string, values: string[]) => values.forEach((v, i) => rows.push([i === 0 ? label : '', v]));
  add('IR version', [String(s.irVersion)]);
  add('opsets', [Object.entries(s.opsets).map(([d, v]) => `${d} ${v}`).join(', ')]);
  add('producer', [[s.producerName, s.producerVersion].filter(Boolean).join(' ') || '(none)']);
  add('inputs', s.inputs.length ? s.inputs.map(formatValue) : ['(none)']);
  add('outputs', s.outputs.length ? s.outputs.map(formatValue) : ['(none)']);
  const ops = Object.entries(s.opHistogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  add('nodes', [`${s.nodeCount}${ops.length ? `: ${ops.map(([op, n]) => `${op} ×${n}`).join(', ')}` : ''}`]);
  add('parameters', [formatCount(s.parameters)]);
  const byType = Object.entries(s.bytesByType).map(([t, b]) => `${t} ${formatBytes(b)}`);
  add('weights', [`${formatBytes(s.initializerBytes)} in initializers${byType.length ? ` (by type, constants included: ${byType.join(', ')})` : ''}`]);
  const macsByOp = Object.entries(s.macsByOp).map(([op, n]) => `${op} ${formatCount(n)}`);
  add('MACs', [s.macs === null ? 'unknown (some shapes could not be inferred)' : `${formatCount(s.macs)} per inference at batch 1${macsByOp.length ? ` (${macsByOp.join(', ')})` : ''}`]);
  const meta = Object.entries(s.metadata);
  add('metadata', meta.length ? meta.map(([k, v]) => oneLine(`${k} = ${v}`)) : ['(none)']);
  const width = rows.reduce((w, [label]) => Math.max(w, label.length), 0);
  // Names and metadata come from the file: a newline or an escape sequence in them is printed escaped.
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${escapeControl(value)}`).join('\n');
}
