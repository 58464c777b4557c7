// The model a runtime session is made from, for policy files exported the ways PyTorch, Stable-Baselines3 and
// CleanRL users export them: a copy of the decoded model with the batch dimension made symbolic (and a
// Reshape's hard-coded leading batch of 1 turned into "copy the batch" where the batch provably leads), the
// initializers that are also listed as inputs dropped from the inputs, an int64 actions output replaced by the
// Q-values its ArgMax reads (or, for an actions-only file, by one-hot float rows of its actions under the same
// name), and float16 boundaries cast from and to float32. Our own files need none of it
// and get null, so their sessions see their bytes unchanged. Files written by passes keep the user's graph:
// this copy only ever reaches a runtime.
import { getIntAttr, intAttr, makeNode, tensorValueInfo } from '../onnx/graph.js';
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/proto.js';
import { DataType, int64Tensor, tensorToFloat64 } from '../onnx/tensor.js';
import type { PolicyFileInfo } from './file.js';

/** Ops through which a tensor whose dim 0 is the batch keeps the batch at dim 0 (for input 0). */
const BATCH_LEADING = new Set([
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Tanh', 'Sigmoid', 'Softplus', 'Erf', 'HardSigmoid', 'HardSwish', 'Abs', 'Softsign', 'Neg', 'Sqrt', 'Exp', 'Clip', 'Identity', 'Dropout', 'Cast',
  'Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'MatMul', 'ConvInteger', 'MatMulInteger',
  'QuantizeLinear', 'DequantizeLinear', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min',
]);

const clone = <T>(value: T): T => structuredClone(value);

/** The model to hand to runtimes for `info` (from describePolicyFile), or null when the file's own model serves. */
export function runtimePolicyModel(model: ModelProto, info: PolicyFileInfo): ModelProto | null {
  const observationCasts = model.graph!.node.filter((n) => isObservationCast(n, info));
  if (!info.fixedBatch && !info.initializerInputs && !info.actionsOutput && !info.float16 && !observationCasts.length) return null;
  const copy = clone(model);
  const graph = copy.graph!;
  // SB3's Flatten(Cast(obs)): a float32 → float32 Cast of the observation is dropped (the js runtime has no
  // activation Cast, and it computes nothing).
  for (const cast of observationCasts) {
    graph.node = graph.node.filter((n) => n.name !== cast.name || n.output[0] !== cast.output[0]);
    for (const n of graph.node) n.input = n.input.map((i) => (i === cast.output[0] ? info.inputName : i));
    if (graph.output.some((o) => o.name === cast.output[0])) return null; // a graph that only casts: leave it
  }
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  if (info.initializerInputs) graph.input = graph.input.filter((v) => !initializers.has(v.name));
  if (info.output === 'actions') {
    oneHotActions(copy, info);
  } else if (info.actionsOutput) {
    const known = [...(graph.valueInfo ?? []), ...graph.output].find((v) => v.name === info.outputName);
    graph.output = [known ? clone(known) : tensorValueInfo(info.outputName, info.float16 ? DataType.FLOAT16 : DataType.FLOAT)];
    keepNodesFor(copy, info.outputName);
  }
  if (info.fixedBatch) {
    const input = graph.input.find((v) => v.name === info.inputName)!;
    symbolicBatch(input);
    for (const output of graph.output) symbolicBatch(output);
    delete graph.valueInfo; // shape hints with the fixed batch; the runtimes infer shapes themselves
    copyBatchInReshapes(copy, info.inputName, initializers);
  }
  if (info.float16) {
    delete graph.valueInfo;
    castBoundary(copy, info);
  }
  return copy;
}

function isObservationCast(node: NodeProto, info: PolicyFileInfo): boolean {
  return !info.float16 && node.opType === 'Cast' && node.input[0] === info.inputName && getIntAttr(node, 'to', 0) === DataType.FLOAT;
}

function symbolicBatch(value: ValueInfoProto): void {
  const dim = value.type?.tensorType?.shape?.dim;
  if (dim?.length && dim[0].dimValue !== undefined) dim[0] = { dimParam: 'batch' };
}

/** Drops nodes that `output` does not depend on. */
function keepNodesFor(model: ModelProto, output: string): void {
  const graph = model.graph!;
  const needed = new Set([output]);
  const kept: NodeProto[] = [];
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const node = graph.node[i];
    if (!node.output.some((o) => needed.has(o))) continue;
    kept.unshift(node);
    for (const input of node.input) if (input) needed.add(input);
  }
  graph.node = kept;
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name ?? ''));
}

/**
 * Reshape nodes whose constant shape starts with 1 and whose data input provably has the batch at dim 0 get a
 * shape starting with 0 (ONNX: copy that dim from the input), so torch's `x.reshape(1, -1)` of a batch-1
 * export reshapes any batch. Reshapes not proven safe are left alone (sessionPolicy then runs one
 * observation at a time).
 */
function copyBatchInReshapes(model: ModelProto, inputName: string, initializers: Map<string, TensorProto>): void {
  const graph = model.graph!;
  const constants = new Map<string, TensorProto>(initializers);
  for (const node of graph.node) {
    if (node.opType === 'Constant') {
      const value = node.attribute.find((a) => a.name === 'value')?.t;
      if (value) constants.set(node.output[0], value);
    }
  }
  const batchLeading = new Set([inputName]);
  for (const node of graph.node) {
    const op = node.opType ?? '';
    const leads = batchLeading.has(node.input[0]);
    let keeps = false;
    if (op === 'Reshape' && leads) {
      const shape = constants.get(node.input[1] ?? '');
      const values = shape && shape.dataType === DataType.INT64 ? Array.from(tensorToFloat64(shape)) : null;
      if (values?.length && values[0] === 1 && getIntAttr(node, 'allowzero', 0) === 0) {
        const name = `${node.input[1]}__batch`;
        if (!graph.initializer.some((t) => t.name === name)) graph.initializer.push(int64Tensor(name, shape!.dims, [0, ...values.slice(1)]));
        node.input[1] = name;
        keeps = true;
      } else if (values?.length && (values[0] === 0 || (values[0] === -1 && !values.slice(1).includes(-1)))) {
        keeps = true;
      }
    } else if (op === 'Flatten') {
      keeps = leads && getIntAttr(node, 'axis', 1) >= 1;
    } else if (op === 'Gemm') {
      keeps = leads && getIntAttr(node, 'transA', 0) === 0;
    } else if (op === 'Softmax' || op === 'LogSoftmax' || op === 'Concat') {
      keeps = leads && getIntAttr(node, 'axis', op === 'Concat' ? 0 : -1) !== 0;
    } else if (BATCH_LEADING.has(op)) {
      keeps = node.input.some((i) => batchLeading.has(i));
    }
    if (keeps) for (const out of node.output) if (out) batchLeading.add(out);
  }
}

/**
 * float32 observations cast to the file's float16 input, and its float16 output cast to float32, under the same
 * names (an actions policy's output is float32 one-hot rows already).
 */
function castBoundary(model: ModelProto, info: PolicyFileInfo): void {
  const graph = model.graph!;
  const inner = `${info.inputName}__fp16`;
  const outer = `${info.outputName}__fp16`;
  const castOutput = info.output !== 'actions';
  for (const node of graph.node) {
    node.input = node.input.map((i) => (i === info.inputName ? inner : i));
    if (!castOutput) continue;
    node.output = node.output.map((o) => (o === info.outputName ? outer : o));
    node.input = node.input.map((i) => (i === info.outputName ? outer : i));
  }
  const input = graph.input.find((v) => v.name === info.inputName)!;
  input.type!.tensorType!.elemType = DataType.FLOAT;
  graph.node.unshift(makeNode('Cast', [info.inputName], [inner], `${inner}_cast`, [intAttr('to', DataType.FLOAT16)]));
  if (!castOutput) return;
  const output = graph.output.find((v) => v.name === info.outputName);
  if (output) output.type!.tensorType!.elemType = DataType.FLOAT;
  graph.node.push(makeNode('Cast', [outer], [info.outputName], `${outer}_cast`, [intAttr('to', DataType.FLOAT)]));
}

/**
 * An actions-only file's integer actions ([batch] or [batch, 1]) as float32 one-hot rows [batch, actionCount]
 * under the output's own name: Reshape to [batch, 1], Equal against 0..actionCount−1, Cast to float. An
 * action outside that range gives a row of zeros, which the runtimes refuse (checkActionRows).
 */
function oneHotActions(model: ModelProto, info: PolicyFileInfo): void {
  const graph = model.graph!;
  const name = info.outputName;
  const raw = `${name}__actions`;
  const declared = graph.output.find((v) => v.name === name)?.type?.tensorType?.elemType;
  for (const node of graph.node) {
    node.output = node.output.map((o) => (o === name ? raw : o));
    node.input = node.input.map((i) => (i === name ? raw : i));
  }
  if (graph.valueInfo) graph.valueInfo = graph.valueInfo.filter((v) => v.name !== name);
  let actions = raw;
  if (declared !== DataType.INT64) {
    actions = `${name}__int64`;
    graph.node.push(makeNode('Cast', [raw], [actions], `${actions}_cast`, [intAttr('to', DataType.INT64)]));
  }
  const column = `${name}__column`;
  const ids = `${name}__action_ids`;
  const hits = `${name}__hits`;
  graph.initializer.push(int64Tensor(`${column}_shape`, [2], [-1, 1]), int64Tensor(ids, [1, info.actionCount], [...Array(info.actionCount).keys()]));
  graph.node.push(
    makeNode('Reshape', [actions, `${column}_shape`], [column], `${column}_reshape`),
    makeNode('Equal', [column, ids], [hits], `${hits}_equal`),
    makeNode('Cast', [hits], [name], `${name}_one_hot`, [intAttr('to', DataType.FLOAT)]),
  );
  graph.output = [tensorValueInfo(name, DataType.FLOAT, ['batch', info.actionCount])];
}
