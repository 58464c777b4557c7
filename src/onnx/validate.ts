// Structural checks on a decoded model, so that everything downstream (inspection, compression passes,
// runtimes) can trust it: versions, unique names, a wired and acyclic graph in topological order, only
// operators we know (ops.ts), sane attributes for the ones whose attributes we read, and tensor data that
// matches its declared dims; within the limits of limits.ts (nodes, initializers); finite weights
// (finite.ts); graph outputs that are the graph's results, not intermediate tensors; and shapes that every
// node's semantics accept, as static shape inference (shapes.ts) finds them. Each failure is one
// OnnxFormatError line naming the node or tensor and the problem. Written here because the reference
// checker is C++/Python only and nothing on npm checks ONNX graphs.
import { attributeType, describeNode, nodeName, topologicalOrder } from './graph.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './proto.js';
import { AttributeType, OnnxFormatError, quoteName } from './schema.js';
import { isDefaultDomain, opFacts, type AttrKind, type OpFacts } from './ops.js';
import { DataType, dataTypeName, dimsProduct, elementByteSize, formatDims, isKnownDataType, typedFieldFor } from './tensor.js';
import { countProblem } from './limits.js';
import { checkFinite } from './finite.js';
import { inferShapes } from './shapes.js';

const KIND_OF: Partial<Record<AttributeType, AttrKind>> = {
  [AttributeType.INT]: 'int',
  [AttributeType.INTS]: 'ints',
  [AttributeType.FLOAT]: 'float',
  [AttributeType.FLOATS]: 'floats',
  [AttributeType.STRING]: 'string',
  [AttributeType.STRINGS]: 'strings',
  [AttributeType.TENSOR]: 'tensor',
};

function fail(message: string): never {
  throw new OnnxFormatError(message);
}

/** Throws OnnxFormatError (one line, `where` appended) if the model is not one qdistill can work with. */
export function validateModel(model: ModelProto, where?: string): void {
  try {
    checkModel(model);
  } catch (error) {
    if (error instanceof OnnxFormatError && where !== undefined) throw new OnnxFormatError(error.message, where);
    throw error;
  }
}

/** The default-domain opset version the model imports (validated models always have one). */
export function defaultOpset(model: ModelProto): number | undefined {
  return model.opsetImport.find((o) => isDefaultDomain(o.domain))?.version;
}

function checkModel(model: ModelProto): void {
  if (model.irVersion === undefined && !model.graph && model.opsetImport.length === 0) {
    fail('not an ONNX model: no ir_version, opset_import or graph');
  }
  if (model.irVersion === undefined) fail('model has no ir_version');
  if (model.irVersion < 3) fail(`model has IR version ${model.irVersion}; qdistill reads IR version 3 and later`);

  const domains = new Set<string>();
  for (const opset of model.opsetImport) {
    const domain = isDefaultDomain(opset.domain) ? '' : (opset.domain as string);
    if (domains.has(domain)) fail(`opset_import lists domain ${quoteName(domain || 'ai.onnx')} twice`);
    domains.add(domain);
    if (opset.version === undefined || opset.version < 1) fail(`opset_import for domain ${quoteName(domain || 'ai.onnx')} has no valid version`);
  }
  if (!domains.has('')) fail('model imports no opset for the default ONNX domain');
  if (!model.graph) fail('model has no graph');
  checkGraph(model.graph, defaultOpset(model) ?? 1);
  checkFinite(model.graph);
  checkOutputsAreFinal(model.graph);
  inferShapes(model);
}

function checkGraph(graph: GraphProto, opset: number): void {
  const tooMany = countProblem({
    node: graph.node.length,
    initializer: graph.initializer.length,
    input: graph.input.length,
    output: graph.output.length,
    valueInfo: graph.valueInfo?.length ?? 0,
  });
  if (tooMany) fail(tooMany);
  if (graph.sparseInitializer?.length) fail('graph has sparse initializers, which qdistill does not read');

  const inputs = new Set<string>();
  graph.input.forEach((info, i) => {
    checkValueInfo(info, 'graph input', i);
    if (inputs.has(info.name)) fail(`graph input ${quoteName(info.name)} is listed twice`);
    inputs.add(info.name);
  });
  const initializers = new Set<string>();
  graph.initializer.forEach((t, i) => {
    if (!t.name) fail(`initializer #${i} has no name`);
    if (initializers.has(t.name)) fail(`two initializers are named ${quoteName(t.name)}`);
    initializers.add(t.name);
    checkTensor(t, `initializer ${quoteName(t.name)}`);
  });
  if (graph.input.length === 0) fail('graph has no inputs');
  if ([...inputs].every((name) => initializers.has(name))) fail('graph has no inputs besides its initializers');
  if (graph.output.length === 0) fail('graph has no outputs');

  const producer = new Map<string, number>();
  graph.node.forEach((node, i) => {
    for (const out of node.output) {
      if (out === '') continue;
      if (inputs.has(out)) fail(`${describeNode(node, i)} writes ${quoteName(out)}, which is a graph input`);
      if (initializers.has(out)) fail(`${describeNode(node, i)} writes ${quoteName(out)}, which is an initializer`);
      const other = producer.get(out);
      if (other !== undefined) fail(`${quoteName(out)} is written by two nodes, ${nodeName(graph.node[other], other)} and ${nodeName(node, i)}`);
      producer.set(out, i);
    }
  });

  graph.node.forEach((node, i) => {
    checkNode(node, i, graph, opset);
    for (const name of node.input) {
      if (name !== '' && !inputs.has(name) && !initializers.has(name) && !producer.has(name)) {
        fail(`${describeNode(node, i)} reads ${quoteName(name)}, which no node, input or initializer produces`);
      }
    }
  });

  topologicalOrder(graph); // throws on a cycle
  graph.node.forEach((node, i) => {
    for (const name of node.input) {
      const from = producer.get(name);
      if (from !== undefined && from >= i) {
        fail(`${describeNode(node, i)} reads ${quoteName(name)} before node ${nodeName(graph.node[from], from)} writes it; nodes must be in topological order`);
      }
    }
  });

  graph.valueInfo?.forEach((info, i) => {
    if (!info.name) fail(`value_info #${i} has no name`);
  });

  const outputs = new Set<string>();
  graph.output.forEach((info, i) => {
    checkValueInfo(info, 'graph output', i);
    const name = info.name;
    if (outputs.has(name)) fail(`graph output ${quoteName(name)} is listed twice`);
    outputs.add(name);
    if (!inputs.has(name) && !initializers.has(name) && !producer.has(name)) {
      fail(`graph output ${quoteName(name)} is not produced by any node, input or initializer`);
    }
  });
}

/**
 * A graph output that a node reads while what that node computes feeds no graph output: the output names an
 * intermediate tensor and the network's real result is computed and thrown away (a runtime would answer
 * with the hidden layer's values). Refused, naming the output and the node.
 */
function checkOutputsAreFinal(graph: GraphProto): void {
  const producer = new Map<string, number>();
  graph.node.forEach((node, i) => node.output.forEach((out) => out && producer.set(out, i)));
  const live = new Uint8Array(graph.node.length);
  const stack: number[] = [];
  for (const output of graph.output) {
    const from = producer.get(output.name);
    if (from !== undefined) stack.push(from);
  }
  while (stack.length) {
    const i = stack.pop()!;
    if (live[i]) continue;
    live[i] = 1;
    for (const name of graph.node[i].input) {
      const from = producer.get(name);
      if (from !== undefined && !live[from]) stack.push(from);
    }
  }
  const outputs = new Set(graph.output.map((o) => o.name));
  graph.node.forEach((node, i) => {
    if (live[i]) return;
    const read = node.input.find((name) => outputs.has(name));
    if (read !== undefined) {
      fail(`graph output ${quoteName(read)} is an intermediate tensor: ${describeNode(node, i)} reads it, and what that node computes feeds no graph output (is the output named after the wrong tensor?)`);
    }
  });
}

function checkValueInfo(info: ValueInfoProto, role: string, index: number): void {
  if (!info.name) fail(`${role} #${index} has no name`);
  const label = `${role} ${quoteName(info.name)}`;
  if (!info.type) fail(`${label} has no type`);
  const tensor = info.type.tensorType;
  if (!tensor) fail(`${label} is not a tensor (sequence, map and optional values are not supported)`);
  if (!isKnownDataType(tensor.elemType)) fail(`${label} has ${tensor.elemType ? `unknown element type ${tensor.elemType}` : 'no element type'}`);
  for (const dim of tensor.shape?.dim ?? []) {
    if (dim.dimValue !== undefined && dim.dimValue < 0) fail(`${label} has a negative dimension`);
  }
}

/** Checks that a tensor's stored data is what its dims and data type promise. */
function checkTensor(t: TensorProto, label: string): void {
  if (t.dataLocation === 1 || t.externalData?.length) {
    fail(`${label} keeps its data in an external file; qdistill reads self-contained models only (save without external data)`);
  }
  if (t.segment !== undefined) fail(`${label} is a segment of a larger tensor, which qdistill does not read`);
  if (!t.dataType) fail(`${label} has no data_type`);
  if (!isKnownDataType(t.dataType)) fail(`${label} has unknown data type ${t.dataType}`);
  const n = dimsProduct(t.dims);
  if (n < 0) fail(`${label} has a negative dimension in ${formatDims(t.dims)}`);
  const declared = `${label} declares dims ${formatDims(t.dims)} (${Number.isFinite(n) ? n : 'more than 2^53'} elements)`;

  const typed = typedFieldFor(t.dataType)!;
  const present = (['floatData', 'int32Data', 'stringData', 'int64Data', 'doubleData', 'uint64Data'] as const).filter((f) => (t[f]?.length ?? 0) > 0);
  for (const field of present) {
    if (field !== typed) fail(`${label} (${dataTypeName(t.dataType)}) stores values in ${snake(field)}, which is for other data types`);
  }
  if (t.rawData !== undefined) {
    if (t.dataType === DataType.STRING) fail(`${label} is a STRING tensor with raw_data`);
    if (present.length) fail(`${label} stores values in both raw_data and ${snake(present[0])}`);
    const bytes = elementByteSize(t.dataType)!;
    const expected = Math.ceil(n * bytes);
    if (t.rawData.byteLength !== expected) {
      const held = (t.rawData.byteLength / bytes) % 1 === 0 ? `${t.rawData.byteLength / bytes}` : `${t.rawData.byteLength} bytes of raw_data`;
      fail(`${declared} but holds ${held}`);
    }
    return;
  }
  const held = present.length ? t[present[0]]!.length : 0;
  let expected = n;
  if (t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128) expected = 2 * n;
  else if ((elementByteSize(t.dataType) ?? 1) < 1) expected = Math.ceil(n / 2); // two 4-bit values per int32
  if (held !== expected) fail(`${declared} but holds ${held}`);
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

function checkNode(node: NodeProto, index: number, graph: GraphProto, opset: number): void {
  const label = describeNode(node, index);
  if (!node.opType) fail(`node ${nodeName(node, index)} has no op_type`);
  const facts = isDefaultDomain(node.domain) ? opFacts(node.opType) : undefined;
  if (!facts) {
    const op = isDefaultDomain(node.domain) ? node.opType : `${node.domain}.${node.opType}`;
    fail(`unsupported operator ${quoteName(op)} (node ${nodeName(node, index)})`);
  }
  if (facts.since !== undefined && opset < facts.since) {
    fail(`${label}: ${node.opType} exists from opset ${facts.since}, but the model imports opset ${opset} (export with opset_version=${facts.since} or later)`);
  }
  const [minIn, maxIn] = facts.inputs;
  if (node.input.length < minIn || node.input.length > maxIn) {
    fail(`${label} has ${plural(node.input.length, 'input')}; ${node.opType} takes ${range(minIn, maxIn)}`);
  }
  for (let i = 0; i < minIn; i++) if (node.input[i] === '') fail(`${label} leaves its required input #${i} empty`);
  const [minOut, maxOut] = facts.outputs ?? [1, 1];
  if (node.output.length < minOut || node.output.length > maxOut) {
    fail(`${label} has ${plural(node.output.length, 'output')}; ${node.opType} gives ${range(minOut, maxOut)}`);
  }
  if (node.output[0] === '') fail(`${label} leaves its first output unnamed`);

  const seen = new Set<string>();
  for (const a of node.attribute) {
    checkAttribute(a, label, facts);
    if (seen.has(a.name!)) fail(`${label} has two attributes named ${quoteName(a.name!)}`);
    seen.add(a.name!);
  }
  checkOpSpecifics(node, label, graph, facts);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function range(min: number, max: number): string {
  return min === max ? `${min}` : max === Infinity ? `${min} or more` : `${min} to ${max}`;
}

const VALUE_FIELD: Partial<Record<AttributeType, keyof AttributeProto>> = {
  [AttributeType.FLOAT]: 'f',
  [AttributeType.INT]: 'i',
  [AttributeType.STRING]: 's',
  [AttributeType.TENSOR]: 't',
  [AttributeType.GRAPH]: 'g',
  [AttributeType.FLOATS]: 'floats',
  [AttributeType.INTS]: 'ints',
  [AttributeType.STRINGS]: 'strings',
  [AttributeType.TENSORS]: 'tensors',
  [AttributeType.GRAPHS]: 'graphs',
  [AttributeType.SPARSE_TENSOR]: 'sparseTensor',
  [AttributeType.SPARSE_TENSORS]: 'sparseTensors',
  [AttributeType.TYPE_PROTO]: 'tp',
  [AttributeType.TYPE_PROTOS]: 'typeProtos',
};

function checkAttribute(a: AttributeProto, label: string, facts: OpFacts): void {
  if (!a.name) fail(`${label} has an attribute without a name`);
  const where = `${label}: attribute ${quoteName(a.name)}`;
  if (a.refAttrName) fail(`${where} refers to a function attribute, which is only allowed inside functions`);
  const type = attributeType(a);
  if (type === AttributeType.UNDEFINED) fail(`${where} has no type and no value`);
  const own = VALUE_FIELD[type];
  if (!own) fail(`${where} has unknown type ${type}`);
  const others = Object.values(VALUE_FIELD).filter((f) => f !== own && hasValue(a[f]));
  if (others.length) fail(`${where} is declared ${AttributeType[type]} but also holds ${others.join(', ')}`);
  const expected = facts.attrs?.[a.name];
  if (expected && KIND_OF[type] !== expected) fail(`${where} should be ${expected.toUpperCase()}, not ${AttributeType[type]}`);
  if (type === AttributeType.GRAPH || type === AttributeType.GRAPHS) fail(`${where} holds a graph; none of the supported operators takes one`);
  if (type === AttributeType.TENSOR) {
    if (!a.t) fail(`${where} is a TENSOR attribute without a tensor`);
    checkTensor(a.t, where);
  }
  if (type === AttributeType.TENSORS) a.tensors?.forEach((t, i) => checkTensor(t, `${where} tensor #${i}`));
}

function hasValue(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined;
}

function ints(node: NodeProto, name: string): number[] | undefined {
  return node.attribute.find((a) => a.name === name)?.ints ?? (node.attribute.some((a) => a.name === name) ? [] : undefined);
}

function int(node: NodeProto, name: string): number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a ? (a.i ?? 0) : undefined;
}

function checkOpSpecifics(node: NodeProto, label: string, graph: GraphProto, facts: OpFacts): void {
  if (facts.kind === 'convolution' || facts.kind === 'pooling') {
    checkWindow(node, label, graph, facts);
    return;
  }
  switch (node.opType) {
    case 'Gemm':
      for (const flag of ['transA', 'transB']) {
        const v = int(node, flag);
        if (v !== undefined && v !== 0 && v !== 1) fail(`${label}: ${flag} must be 0 or 1, not ${v}`);
      }
      return;
    case 'Transpose': {
      const perm = ints(node, 'perm');
      if (perm && !isPermutation(perm)) fail(`${label}: perm ${formatDims(perm)} is not a permutation`);
      return;
    }
    case 'Constant': {
      const values = node.attribute.filter((a) => a.name?.startsWith('value') || a.name === 'sparse_value');
      if (values.length !== 1) fail(`${label} must have exactly one value attribute, not ${values.length}`);
      return;
    }
    case 'Cast': {
      const to = int(node, 'to');
      if (to === undefined) fail(`${label} has no 'to' attribute`);
      if (!isKnownDataType(to)) fail(`${label} casts to unknown data type ${to}`);
      return;
    }
    case 'Concat':
      if (int(node, 'axis') === undefined) fail(`${label} has no 'axis' attribute`);
      return;
    case 'BatchNormalization':
      // training_mode=1 (or the running-statistics outputs) means batch statistics at run time: a policy's
      // action would depend on the other observations in its batch.
      if ((int(node, 'training_mode') ?? 0) !== 0 || node.output.slice(1).some((o) => o !== '')) {
        fail(`${label} is in training mode (batch statistics); call model.eval() before torch.onnx.export`);
      }
      return;
  }
}

function isPermutation(perm: number[]): boolean {
  const seen = new Uint8Array(perm.length);
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= perm.length || seen[p]) return false;
    seen[p] = 1;
  }
  return true;
}

/** Conv and pooling windows: kernel_shape, strides, dilations of one length per spatial axis, pads of two. */
function checkWindow(node: NodeProto, label: string, graph: GraphProto, facts: OpFacts): void {
  const kernel = ints(node, 'kernel_shape');
  const strides = ints(node, 'strides');
  const dilations = ints(node, 'dilations');
  const pads = ints(node, 'pads');
  const pool = facts.kind === 'pooling';
  if (pool && !kernel) fail(`${label} has no kernel_shape`);

  const weightName = pool ? undefined : node.input[facts.weightInput!];
  const weight = weightName ? graph.initializer.find((t) => t.name === weightName) : undefined;
  if (weight && weight.dims.length < 3) fail(`${label}: weight ${quoteName(weightName!)} has dims ${formatDims(weight.dims)}; a convolution weight has rank 3 or more`);
  const spatial = kernel?.length ?? (weight ? weight.dims.length - 2 : (strides?.length ?? dilations?.length ?? (pads ? pads.length / 2 : undefined)));
  if (spatial !== undefined) {
    if (spatial < 1 || !Number.isInteger(spatial)) fail(`${label}: its window attributes do not describe any spatial axis`);
    for (const [name, list, length] of [['kernel_shape', kernel, spatial], ['strides', strides, spatial], ['dilations', dilations, spatial], ['pads', pads, 2 * spatial]] as const) {
      if (list && list.length !== length) fail(`${label}: ${name} has ${list.length} values, expected ${length} for ${spatial} spatial axes`);
    }
  }
  if (kernel?.some((k) => k < 1)) fail(`${label}: kernel_shape ${formatDims(kernel)} has a value below 1`);
  if (strides?.some((s) => s < 1)) fail(`${label}: strides ${formatDims(strides)} has a value below 1`);
  if (dilations?.some((d) => d < 1)) fail(`${label}: dilations ${formatDims(dilations)} has a value below 1`);
  if (pads?.some((p) => p < 0)) fail(`${label}: pads ${formatDims(pads)} has a negative value`);
  const group = int(node, 'group');
  if (group !== undefined && group < 1) fail(`${label}: group must be at least 1, not ${group}`);
  if (weight && kernel && weight.dims.slice(2).some((d, i) => d !== kernel[i])) {
    fail(`${label}: kernel_shape ${formatDims(kernel)} does not match weight dims ${formatDims(weight.dims)}`);
  }
  const autoPad = node.attribute.find((a) => a.name === 'auto_pad')?.s;
  if (autoPad) {
    const mode = new TextDecoder().decode(autoPad);
    if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(mode)) fail(`${label}: unknown auto_pad ${quoteName(mode)}`);
  }
}
