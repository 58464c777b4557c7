// Static shape inference (src/onnx/shapes.ts): what it infers for each operator is held against the shapes
// onnxruntime's outputs have at a batch of 3; what it refuses is one line naming the node and the shapes;
// and the torch / tf2onnx patterns real exports use (a symbolic batch through Shape → Gather → Concat →
// Reshape, a fixed batch of 1, Reshape(0, -1)) are accepted.
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { floatAttr, intAttr, intsAttr, makeModel, makeNode, stringAttr, tensorAttr, tensorValueInfo } from '../../src/onnx/graph.js';
import { decodeModel, encodeModel, OnnxFormatError, type ModelProto, type NodeProto, type TensorProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { inferShapes } from '../../src/onnx/shapes.js';
import type { Dim } from '../../src/onnx/dims.js';
import { torchFlatten } from '../support/torch-flatten.js';

const BATCH = 3;

const w = (name: string, dims: number[]) => float32Tensor(name, dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1)));

interface Case {
  name: string;
  input: (number | string)[];
  nodes: NodeProto[];
  initializers?: TensorProto[];
  /** Graph outputs with their element types (FLOAT unless given). */
  outputs: (string | [string, number])[];
  opset?: number;
}

function build(c: Case): ModelProto {
  return makeModel({
    graph: {
      node: c.nodes,
      initializer: c.initializers ?? [],
      input: [tensorValueInfo('x', DataType.FLOAT, c.input)],
      output: c.outputs.map((o) => (typeof o === 'string' ? tensorValueInfo(o, DataType.FLOAT) : tensorValueInfo(o[0], o[1]))),
    },
    opset: c.opset ?? 17,
  });
}

/** An inferred shape at batch 3: every symbol is the batch here. */
function atBatch(dims: Dim[] | null): (number | null)[] | null {
  if (!dims) return null;
  return dims.map((d) => (d === null ? null : typeof d === 'number' ? d : d.coef * BATCH ** d.syms.length));
}

async function ortShapes(model: ModelProto): Promise<Map<string, number[]>> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  const dims = model.graph!.input[0].type!.tensorType!.shape!.dim.map((d) => d.dimValue ?? BATCH);
  const n = dims.reduce((a, b) => a * b, 1);
  const result = await session.run({ x: new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.cos(i)), dims) });
  await session.release();
  return new Map(Object.entries(result).map(([name, t]) => [name, [...t.dims]]));
}

const CASES: Case[] = [
  {
    name: 'Conv with pads, strides and dilations; Relu; Flatten',
    input: ['batch', 3, 11, 9],
    nodes: [
      makeNode('Conv', ['x', 'cw', 'cb'], ['c'], 'conv', [intsAttr('pads', [1, 0, 2, 1]), intsAttr('strides', [2, 3]), intsAttr('dilations', [1, 2])]),
      makeNode('Relu', ['c'], ['r'], 'relu'),
      makeNode('Flatten', ['r'], ['f'], 'flatten', [intAttr('axis', 2)]),
    ],
    initializers: [w('cw', [4, 3, 3, 2]), w('cb', [4])],
    outputs: ['c', 'f'],
  },
  {
    name: 'grouped Conv with SAME_UPPER padding',
    input: ['batch', 6, 7, 7],
    nodes: [makeNode('Conv', ['x', 'cw'], ['c'], 'conv', [intAttr('group', 3), stringAttr('auto_pad', 'SAME_UPPER'), intsAttr('strides', [2, 2])])],
    initializers: [w('cw', [6, 2, 3, 3])],
    outputs: ['c'],
  },
  {
    name: 'MaxPool with ceil_mode, AveragePool, GlobalAveragePool',
    input: ['batch', 2, 8, 7],
    nodes: [
      makeNode('MaxPool', ['x'], ['m'], 'max', [intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [2, 2]), intsAttr('pads', [0, 0, 1, 1]), intAttr('ceil_mode', 1)]),
      makeNode('MaxPool', ['x'], ['m2'], 'max2', [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2]), intsAttr('pads', [1, 1, 1, 1]), intAttr('ceil_mode', 1)]),
      makeNode('AveragePool', ['x'], ['a'], 'avg', [intsAttr('kernel_shape', [3, 2]), intsAttr('strides', [2, 3]), intAttr('count_include_pad', 1), intsAttr('pads', [1, 1, 1, 1])]),
      makeNode('GlobalAveragePool', ['a'], ['g'], 'gap'),
    ],
    outputs: ['m', 'm2', 'a', 'g'],
  },
  {
    name: "torch's flatten (Shape → Gather → Unsqueeze → Concat → Reshape) into a Gemm",
    input: ['batch', 2, 3, 3],
    nodes: [...torchFlatten('x', 'flat'), makeNode('Gemm', ['flat', 'fw', 'fb'], ['q'], 'fc', [intAttr('transB', 1)])],
    initializers: [int64Tensor('zero', [], [0]), int64Tensor('axes', [1], [0]), w('fw', [5, 18]), w('fb', [5])],
    outputs: ['q'],
    opset: 13,
  },
  {
    name: 'Reshape(0, -1), Reshape(-1, 6), Transpose, Squeeze and Unsqueeze by input',
    input: ['batch', 2, 3],
    nodes: [
      makeNode('Reshape', ['x', 's0'], ['r0'], 'r0'),
      makeNode('Reshape', ['x', 's1'], ['r1'], 'r1'),
      makeNode('Transpose', ['x'], ['t'], 't', [intsAttr('perm', [0, 2, 1])]),
      makeNode('Unsqueeze', ['t', 'ax1'], ['u'], 'u'),
      makeNode('Squeeze', ['u', 'ax1'], ['s'], 's'),
    ],
    initializers: [int64Tensor('s0', [2], [0, -1]), int64Tensor('s1', [2], [-1, 6]), int64Tensor('ax1', [1], [1])],
    outputs: ['r0', 'r1', 't', 'u', 's'],
  },
  {
    name: 'Concat, Slice (negative end, step 2, and a negative step), Gather, Pad',
    input: ['batch', 10],
    nodes: [
      makeNode('Concat', ['x', 'x'], ['cat'], 'cat', [intAttr('axis', 1)]),
      makeNode('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['sl'], 'slice'),
      makeNode('Slice', ['x', 'st2', 'en2', 'ax', 'sp2'], ['sl2'], 'slice2'),
      makeNode('Gather', ['x', 'idx'], ['ga'], 'gather', [intAttr('axis', 1)]),
      makeNode('Pad', ['x', 'pads'], ['pad'], 'pad'),
    ],
    initializers: [
      int64Tensor('st', [1], [1]), int64Tensor('en', [1], [-2]), int64Tensor('ax', [1], [1]), int64Tensor('sp', [1], [2]),
      int64Tensor('st2', [1], [8]), int64Tensor('en2', [1], [0]), int64Tensor('sp2', [1], [-3]),
      int64Tensor('idx', [2], [0, -1]), int64Tensor('pads', [4], [0, 1, 0, 2]),
    ],
    outputs: ['cat', 'sl', 'sl2', 'ga', 'pad'],
  },
  {
    name: 'ReduceMean, ReduceSum by input, ReduceMax over all axes, ArgMax, TopK',
    input: ['batch', 4, 5],
    nodes: [
      makeNode('ReduceMean', ['x'], ['rm'], 'rm', [intsAttr('axes', [1]), intAttr('keepdims', 0)]),
      makeNode('ReduceSum', ['x', 'ax2'], ['rs'], 'rs'),
      makeNode('ReduceMax', ['x'], ['rx'], 'rx', [intAttr('keepdims', 0)]),
      makeNode('ArgMax', ['x'], ['am'], 'am', [intAttr('axis', -1), intAttr('keepdims', 0)]),
      makeNode('TopK', ['x', 'k'], ['tv', 'ti'], 'topk', [intAttr('axis', 2)]),
    ],
    initializers: [int64Tensor('ax2', [1], [2]), int64Tensor('k', [1], [2])],
    outputs: ['rm', 'rs', 'rx', ['am', DataType.INT64], 'tv', ['ti', DataType.INT64]],
  },
  {
    name: 'LayerNormalization, BatchNormalization, Softmax, PRelu, Clip',
    input: ['batch', 3, 4],
    nodes: [
      makeNode('LayerNormalization', ['x', 'ls', 'lb'], ['ln'], 'ln', [intAttr('axis', -1)]),
      makeNode('BatchNormalization', ['x', 'bs', 'bb', 'bm', 'bv'], ['bn'], 'bn'),
      makeNode('Softmax', ['x'], ['sm'], 'sm', [intAttr('axis', 1)]),
      makeNode('PRelu', ['x', 'slope'], ['pr'], 'prelu'),
      makeNode('Clip', ['x', 'lo', 'hi'], ['cl'], 'clip'),
    ],
    initializers: [w('ls', [4]), w('lb', [4]), w('bs', [3]), w('bb', [3]), w('bm', [3]), float32Tensor('bv', [3], [1, 2, 3]), w('slope', [4]), float32Tensor('lo', [], [-0.5]), float32Tensor('hi', [], [0.5])],
    outputs: ['ln', 'bn', 'sm', 'pr', 'cl'],
  },
  {
    name: 'MatMul (batched, and with a 1-D B), Gemm with transB and a [1, N] bias, Add, Max of three',
    input: ['batch', 3, 4],
    nodes: [
      makeNode('MatMul', ['x', 'mw'], ['mm'], 'mm'),
      makeNode('MatMul', ['x', 'v'], ['mv'], 'mv'),
      makeNode('Gemm', ['mv', 'gw', 'gb'], ['gemm'], 'gemm', [intAttr('transB', 1), floatAttr('alpha', 0.5)]),
      makeNode('Add', ['mm', 'ab'], ['add'], 'add'),
      makeNode('Max', ['mv', 'v3', 'row'], ['mx'], 'max'),
    ],
    initializers: [w('mw', [4, 5]), w('v', [4]), w('gw', [2, 3]), w('gb', [1, 2]), w('ab', [5]), w('v3', [3]), w('row', [1, 3])],
    outputs: ['mm', 'mv', 'gemm', 'add', 'mx'],
  },
  {
    name: 'ConstantOfShape from Shape, Quantize/DequantizeLinear per channel, Dropout, Identity',
    input: ['batch', 4],
    nodes: [
      makeNode('Shape', ['x'], ['shape'], 'shape'),
      makeNode('ConstantOfShape', ['shape'], ['ones'], 'ones', [tensorAttr('value', float32Tensor('one', [1], [1]))]),
      makeNode('Add', ['x', 'ones'], ['plus'], 'plus'),
      makeNode('QuantizeLinear', ['plus', 'scale', 'zp'], ['q'], 'quant', [intAttr('axis', 1)]),
      makeNode('DequantizeLinear', ['q', 'scale', 'zp'], ['dq'], 'dequant', [intAttr('axis', 1)]),
      makeNode('Dropout', ['dq'], ['dr'], 'dropout'),
      makeNode('Identity', ['dr'], ['id'], 'identity'),
    ],
    initializers: [float32Tensor('scale', [4], [0.1, 0.2, 0.3, 0.4]), { name: 'zp', dims: [4], dataType: DataType.UINT8, rawData: new Uint8Array([128, 128, 128, 128]) }],
    outputs: ['plus', 'id'],
  },
  {
    name: 'a fixed batch of 1 with Reshape(1, -1) (torch without dynamic_axes)',
    input: [1, 2, 3],
    nodes: [makeNode('Reshape', ['x', 's'], ['r'], 'r'), makeNode('Gemm', ['r', 'gw'], ['q'], 'fc')],
    initializers: [int64Tensor('s', [2], [1, -1]), w('gw', [6, 2])],
    outputs: ['q'],
  },
];

describe('inferred shapes are the shapes onnxruntime gives (batch 3)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const model = build(c);
      const bytes = encodeModel(model);
      assert.doesNotThrow(() => decodeModel(bytes, c.name));
      const { shapes } = inferShapes(model);
      const actual = await ortShapes(model);
      for (const o of c.outputs) {
        const name = typeof o === 'string' ? o : o[0];
        const batchOne = c.input[0] === 1;
        const inferred = batchOne ? (shapes.get(name)!.dims as (number | null)[]) : atBatch(shapes.get(name)!.dims);
        assert.deepEqual(inferred, actual.get(name), `${name}: inferred ${JSON.stringify(shapes.get(name)!.dims)}`);
      }
    });
  }
});

/** A small policy around one node under test: x [batch, 4] (or `input`) → nodes → q. */
function refuses(c: Omit<Case, 'outputs' | 'name'> & { outputs?: Case['outputs'] }, expected: string): void {
  const model = build({ name: expected, ...c, outputs: c.outputs ?? ['q'] });
  assert.throws(
    () => decodeModel(encodeModel(model), 'bad.onnx'),
    (e: unknown) => {
      assert.ok(e instanceof OnnxFormatError, `expected an OnnxFormatError, got ${e}`);
      assert.equal(e.message, `${expected} (bad.onnx)`);
      return true;
    },
  );
}

test('Gemm: transA / transB against the inner dimension, the bias against the output', () => {
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Gemm', ['x', 'gw'], ['q'], 'fc', [intAttr('transB', 1)])], initializers: [w('gw', [4, 2])] },
    "node 'fc' (Gemm): inner dimensions differ: A [batch, 4] against B [4, 2] (transB=1: [2, 4]): 4 ≠ 2",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Gemm', ['x', 'gw', 'gb'], ['q'], 'fc')], initializers: [w('gw', [4, 2]), w('gb', [3])] },
    "node 'fc' (Gemm): bias C [3] does not broadcast to the output's [batch, 2] (each of its dimensions must be 1 or the same as there)",
  );
  refuses(
    { input: ['batch', 3, 4], nodes: [makeNode('Gemm', ['x', 'gw'], ['q'], 'fc')], initializers: [w('gw', [4, 2])] },
    "node 'fc' (Gemm): A [batch, 3, 4] is not 2-D; Gemm multiplies matrices (use MatMul for batched products)",
  );
  // A fixed batch of 4 makes transA consistent: shapes alone do not refuse it (the policy check refuses batch 4).
  assert.doesNotThrow(() => decodeModel(encodeModel(build({ name: 'transA', input: [4, 4], nodes: [makeNode('Gemm', ['x', 'gw'], ['q'], 'fc', [intAttr('transA', 1)])], initializers: [w('gw', [4, 2])], outputs: ['q'] })), 'ok.onnx'));
});

test('a symbolic batch must stay free: a node that would run at one batch size only is refused', () => {
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Reshape', ['x', 's'], ['r'], 'r'), makeNode('Gemm', ['r', 'gw'], ['q'], 'fc')], initializers: [int64Tensor('s', [2], [1, -1]), w('gw', [4, 2])] },
    "node 'fc' (Gemm): inner dimensions differ: A [1, 4*batch] against B [4, 2]: 4*batch against 4, which ties the batch to 1, so the model would run at no other batch size",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Add', ['x', 'b'], ['q'], 'add')], initializers: [w('b', [3, 4])] },
    "node 'add' (Add): inputs ([batch, 4] and [3, 4]) broadcast only at a batch of 1 or 3: batch against 3",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Concat', ['x', 'c'], ['q'], 'cat', [intAttr('axis', 1)])], initializers: [w('c', [2, 4])] },
    "node 'cat' (Concat): inputs differ along axis 0, which is not the concatenated axis 1 ([batch, 4], [2, 4]): batch against 2, which ties the batch to 2, so the model would run at no other batch size",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Reshape', ['x', 's'], ['q'], 'r7')], initializers: [int64Tensor('s', [2], [7, -1])] },
    "node 'r7' (Reshape): cannot reshape input [batch, 4] to [7, -1] at a batch of 1",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Squeeze', ['x', 'ax'], ['q'], 'sq')], initializers: [int64Tensor('ax', [1], [0])] },
    "node 'sq' (Squeeze): squeezing axis 0 of input [batch, 4] ties the batch to 1, so the model would run at no other batch size",
  );
  // An unknown leading dim (no dim_value, no dim_param) is a batch as well.
  const unknown = build({ name: 'unknown', input: [4], nodes: [makeNode('Gemm', ['x', 'gw'], ['q'], 'fc', [intAttr('transA', 1)])], initializers: [w('gw', [4, 2])], outputs: ['q'] });
  unknown.graph!.input[0] = tensorValueInfo('x', DataType.FLOAT, [null, 4]);
  assert.throws(() => decodeModel(encodeModel(unknown), 'bad.onnx'), /node 'fc' \(Gemm\): inner dimensions differ: A \[\?, 4\] \(transA=1: \[4, \?\]\) against B \[4, 2\]: \? against 4, which ties the batch to 4/);
});

test('MatMul, Conv, pooling, Reshape, axes and Concat: each mismatch names the node and the shapes', () => {
  refuses(
    { input: ['batch', 4], nodes: [makeNode('MatMul', ['x', 'mw'], ['q'], 'mm')], initializers: [w('mw', [5, 2])] },
    "node 'mm' (MatMul): inner dimensions differ: A [batch, 4] against B [5, 2]: 4 ≠ 5",
  );
  refuses(
    { input: ['batch', 3, 5, 5], nodes: [makeNode('Conv', ['x', 'cw'], ['q'], 'conv')], initializers: [w('cw', [2, 4, 3, 3])] },
    "node 'conv' (Conv): input channels differ: input [batch, 3, 5, 5] has 3, weight [2, 4, 3, 3] takes: 3 ≠ 4",
  );
  refuses(
    { input: ['batch', 1, 5, 5], nodes: [makeNode('Conv', ['x', 'cw', 'cb'], ['q'], 'conv')], initializers: [w('cw', [2, 1, 3, 3]), w('cb', [3])] },
    "node 'conv' (Conv): bias [3] and weight [2, 1, 3, 3] disagree on the output channels: 3 ≠ 2",
  );
  refuses(
    { input: ['batch', 1, 2, 2], nodes: [makeNode('Conv', ['x', 'cw'], ['q'], 'conv')], initializers: [w('cw', [2, 1, 3, 3])] },
    "node 'conv' (Conv): its window spans 3 along spatial axis 0 (kernel 3), more than the 2 of input [batch, 1, 2, 2]",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('MaxPool', ['x'], ['q'], 'pool', [intsAttr('kernel_shape', [2, 2])])] },
    "node 'pool' (MaxPool): kernel_shape has 2 values, so the input should have rank 4, but it is [batch, 4]",
  );
  refuses(
    { input: ['batch', 2, 3], nodes: [makeNode('Reshape', ['x', 's'], ['q'], 'r')], initializers: [int64Tensor('s', [2], [0, 4])] },
    "node 'r' (Reshape): cannot reshape input [batch, 2, 3] to [0, 4]: 6*batch elements against 4*batch",
  );
  refuses(
    { input: [2, 3], nodes: [makeNode('Reshape', ['x', 's'], ['q'], 'r')], initializers: [int64Tensor('s', [2], [4, -1])] },
    "node 'r' (Reshape): cannot reshape input [2, 3] to [4, -1]: 6 elements do not divide into 4",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Softmax', ['x'], ['q'], 'sm', [intAttr('axis', 2)])] },
    "node 'sm' (Softmax): axis 2 is outside [-2, 1] for input [batch, 4]",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Concat', ['x', 'c'], ['q'], 'cat', [intAttr('axis', 1)])], initializers: [w('c', [4])] },
    "node 'cat' (Concat): inputs differ in rank: [batch, 4] and [4]",
  );
  refuses(
    { input: ['batch', 4], nodes: [makeNode('Gather', ['x', 'i'], ['q'], 'g', [intAttr('axis', 1)])], initializers: [int64Tensor('i', [1], [4])] },
    "node 'g' (Gather): index 4 is out of range for axis 1 of data [batch, 4]",
  );
  refuses(
    { input: ['batch', 3, 4], nodes: [makeNode('LayerNormalization', ['x', 's'], ['q'], 'ln', [intAttr('axis', -1)])], initializers: [w('s', [3])] },
    "node 'ln' (LayerNormalization): scale [3] does not broadcast to the normalized axes [4] (each of its dimensions must be 1 or the same as there)",
  );
});

test('declared value_info and output shapes must agree with what the graph computes', () => {
  const lie = build({ name: 'lie', input: ['batch', 4], nodes: [makeNode('Gemm', ['x', 'gw'], ['q'], 'fc')], initializers: [w('gw', [4, 3])], outputs: ['q'] });
  lie.graph!.output[0] = tensorValueInfo('q', DataType.FLOAT, ['batch', 2]);
  assert.throws(() => decodeModel(encodeModel(lie), 'bad.onnx'), { message: "graph output 'q' is declared [batch, 2], but node 'fc' (Gemm) makes it [batch, 3] (bad.onnx)" });
  const info = build({ name: 'info', input: ['batch', 4], nodes: [makeNode('Gemm', ['x', 'gw'], ['h'], 'fc'), makeNode('Relu', ['h'], ['q'], 'relu')], initializers: [w('gw', [4, 3])], outputs: ['q'] });
  info.graph!.valueInfo = [tensorValueInfo('h', DataType.FLOAT, ['batch', 3, 1])];
  assert.throws(() => decodeModel(encodeModel(info), 'bad.onnx'), { message: "value_info 'h' is declared [batch, 3, 1], but node 'fc' (Gemm) makes it [batch, 3] (bad.onnx)" });
  // Other symbol names, a fixed batch where ours is symbolic (torch's stale value_info), unknown dims: accepted.
  for (const dims of [['N', 3], [2, 3], [null, null], ['batch', 'hidden']]) {
    info.graph!.valueInfo = [tensorValueInfo('h', DataType.FLOAT, dims)];
    assert.doesNotThrow(() => decodeModel(encodeModel(info), 'ok.onnx'), JSON.stringify(dims));
  }
});
