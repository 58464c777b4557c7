import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  floatAttr,
  floatsAttr,
  intAttr,
  intsAttr,
  makeModel,
  makeNode,
  metadataOf,
  setMetadata,
  stringAttr,
  tensorAttr,
  tensorValueInfo,
} from '../../src/onnx/graph.js';
import { AttributeType, decodeModel, encodeModel, MAX_MODEL_BYTES, OnnxFormatError, readModelFile, writeModelFile, type ModelProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor, tensorToFloat32, tensorToFloat64 } from '../../src/onnx/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { torchFlatten } from '../support/torch-flatten.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-onnx-rw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a python3 snippet; a missing onnx module fails the test (it must never be skipped). */
function python(script: string, ...args: string[]): string {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run /usr/bin/python3: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function checkerAccepts(path: string): void {
  const out = python('import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")', path);
  assert.equal(out.trim(), 'ok');
}

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 100 + i) * 0.5);
}

function mlp(opset: number): ModelProto {
  return makeModel({
    graph: {
      name: 'mlp',
      node: [
        makeNode('Gemm', ['obs', 'fc1.weight', 'fc1.bias'], ['h1'], 'fc1', [intAttr('transB', 1)]),
        makeNode('Relu', ['h1'], ['a1'], 'relu1'),
        makeNode('Gemm', ['a1', 'fc2.weight', 'fc2.bias'], ['h2'], 'fc2', [intAttr('transB', 1), floatAttr('alpha', 1), floatAttr('beta', 1)]),
        makeNode('Tanh', ['h2'], ['a2'], 'tanh2'),
        makeNode('MatMul', ['a2', 'out.weight'], ['m3'], 'out_matmul'),
        makeNode('Add', ['m3', 'out.bias'], ['q_values'], 'out_add'),
      ],
      initializer: [
        float32Tensor('fc1.weight', [16, 4], values(64, 1)),
        float32Tensor('fc1.bias', [16], values(16, 2)),
        float32Tensor('fc2.weight', [16, 16], values(256, 3)),
        float32Tensor('fc2.bias', [16], values(16, 4)),
        float32Tensor('out.weight', [16, 2], values(32, 5)),
        float32Tensor('out.bias', [2], values(2, 6)),
      ],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
    },
    opset,
    producerVersion: '0.1.0',
    metadata: { 'qdistill.env': 'CartPole-v1', 'qdistill.output': 'q_values', 'qdistill.card': '{"seed":1,"note":"ünïcode"}' },
  });
}

/** Conv → Relu → MaxPool → Conv → Relu → the Shape/Gather/Unsqueeze/Concat/Reshape flatten torch.onnx writes → Gemm. */
function cnn(opset: number): ModelProto {
  return makeModel({
    graph: {
      name: 'cnn',
      node: [
        makeNode('Conv', ['obs', 'c1.w', 'c1.b'], ['c1'], 'conv1', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [2, 2])]),
        makeNode('Relu', ['c1'], ['r1'], 'relu1'),
        makeNode('MaxPool', ['r1'], ['p1'], 'pool1', [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]),
        makeNode('Conv', ['p1', 'c2.w'], ['c2'], 'conv2', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('dilations', [1, 1]), intAttr('group', 1)]),
        makeNode('Relu', ['c2'], ['r2'], 'relu2'),
        ...torchFlatten('r2', 'flat', 'axes0'),
        makeNode('Gemm', ['flat', 'fc.w', 'fc.b'], ['h'], 'fc', [intAttr('transB', 1)]),
        makeNode('Relu', ['h'], ['q_values'], 'relu3'),
      ],
      initializer: [
        float32Tensor('c1.w', [8, 4, 3, 3], values(288, 7)),
        float32Tensor('c1.b', [8], values(8, 8)),
        float32Tensor('c2.w', [16, 8, 3, 3], values(1152, 9)),
        int64Tensor('zero', [], [0]),
        int64Tensor('axes0', [1], [0]),
        float32Tensor('fc.w', [3, 64], values(192, 10)),
        float32Tensor('fc.b', [3], values(3, 11)),
      ],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4, 10, 10])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 3])],
    },
    opset,
    metadata: { 'qdistill.env': 'MinAtar/Breakout', 'qdistill.layout': 'nchw' },
  });
}

test('encode → decode gives back the same object; encoding it again gives the same bytes', () => {
  for (const model of [mlp(17), cnn(17), cnn(13)]) {
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes, 'memory');
    assert.deepEqual(decoded, model);
    assert.deepEqual(encodeModel(decoded), bytes);
  }
});

test('every attribute kind, optional field and int64 extreme survives the round trip', () => {
  const model = mlp(17);
  model.docString = 'a doc string';
  model.domain = 'ai.qdistill';
  model.modelVersion = 3;
  const graph = model.graph!;
  graph.valueInfo = [tensorValueInfo('h1', DataType.FLOAT, [null, 16])];
  graph.docString = 'graph doc';
  graph.initializer.push(int64Tensor('big', [3], [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0]));
  graph.initializer.push({ name: 'typed', dims: [2], dataType: DataType.DOUBLE, doubleData: [0.25, 1e300] });
  graph.node[1].attribute.push(
    floatsAttr('some_floats', [0.1, 2]),
    stringAttr('some_string', 'héllo'),
    { name: 'some_strings', type: AttributeType.STRINGS, strings: [new Uint8Array([1, 2]), new Uint8Array()] },
    tensorAttr('some_tensor', float32Tensor('t', [2, 1], [1, 2])),
    intsAttr('some_ints', [-(2 ** 40), 2 ** 52]),
  );
  graph.node[1].docString = 'node doc';
  const decoded = decodeModel(encodeModel(model), 'memory');
  assert.deepEqual(decoded, model);
  assert.deepEqual(tensorToFloat64(decoded.graph!.initializer[6]), Float64Array.from([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0]));
  assert.equal(decoded.graph!.node[1].attribute[0].floats![0], Math.fround(0.1));
});

test('writeModelFile writes atomically and readModelFile reads it back; metadata helpers edit in place', () => {
  const path = join(dir, 'mlp.onnx');
  const model = mlp(17);
  writeModelFile(path, model);
  const read = readModelFile(path);
  assert.deepEqual(read, model);
  assert.deepEqual(metadataOf(read), { 'qdistill.env': 'CartPole-v1', 'qdistill.output': 'q_values', 'qdistill.card': '{"seed":1,"note":"ünïcode"}' });
  setMetadata(read, { 'qdistill.output': 'logits', 'qdistill.card': null, extra: 'x' });
  assert.deepEqual(read.metadataProps, [
    { key: 'qdistill.env', value: 'CartPole-v1' },
    { key: 'qdistill.output', value: 'logits' },
    { key: 'extra', value: 'x' },
  ]);
  assert.throws(() => writeModelFile(join(dir, 'bad.onnx'), { ...model, graph: { ...model.graph!, output: [] } }), /refusing to write an invalid model.*graph has no outputs/);
});

test('the reference ONNX checker accepts the MLP and the CNN we write, at IR 8 with opset 17 and with opset 13', () => {
  for (const opset of [17, 13]) {
    for (const [name, model] of [['mlp', mlp(opset)], ['cnn', cnn(opset)]] as const) {
      const path = join(dir, `${name}-${opset}.onnx`);
      writeModelFile(path, model);
      assert.equal(model.irVersion, 8);
      checkerAccepts(path);
    }
  }
});

test("python's onnx reads our bytes and sees the same graph, tensors and metadata", () => {
  const model = cnn(17);
  const path = join(dir, 'cnn-for-python.onnx');
  writeModelFile(path, model);
  const script = `
import sys, json, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
print(json.dumps({
  'ir': m.ir_version,
  'opsets': [[o.domain, o.version] for o in m.opset_import],
  'producer': m.producer_name,
  'nodes': [[n.op_type, n.name, list(n.input), list(n.output)] for n in m.graph.node],
  'init': {t.name: [list(t.dims), t.data_type, float(numpy_helper.to_array(t).astype('float64').sum())] for t in m.graph.initializer},
  'inputs': [[i.name, i.type.tensor_type.elem_type, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]] for i in m.graph.input],
  'meta': {p.key: p.value for p in m.metadata_props},
}))`;
  const seen = JSON.parse(python(script, path));
  assert.equal(seen.ir, 8);
  assert.deepEqual(seen.opsets, [['', 17]]);
  assert.equal(seen.producer, 'qdistill');
  assert.deepEqual(seen.nodes, model.graph!.node.map((n) => [n.opType, n.name, n.input, n.output]));
  for (const t of model.graph!.initializer) {
    const [dims, dataType, sum] = seen.init[t.name!];
    assert.deepEqual(dims, t.dims);
    assert.equal(dataType, t.dataType);
    const ours = Array.from(t.dataType === DataType.FLOAT ? tensorToFloat32(t) : tensorToFloat64(t)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - ours) < 1e-5, `${t.name}: python sums ${sum}, we ${ours}`);
  }
  assert.deepEqual(seen.inputs, [['obs', 1, ['batch', 4, 10, 10]]]);
  assert.deepEqual(seen.meta, { 'qdistill.env': 'MinAtar/Breakout', 'qdistill.layout': 'nchw' });
});

test('we read what onnx.helper writes (raw_data, float_data, int64_data, double_data, float16, int8, attributes, metadata) and write the same bytes back', () => {
  const path = join(dir, 'from-helper.onnx');
  python(
    `
import sys, onnx, numpy as np
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array((np.arange(12, dtype=np.float32).reshape(3, 4) / 4), name='w')
b = helper.make_tensor('b', TensorProto.FLOAT, [3], [0.5, -1.0, 2.0])
shape = helper.make_tensor('shape', TensorProto.INT64, [2], [-1, 3])
big = helper.make_tensor('big', TensorProto.INT64, [1], [2**52 + 1])
d = helper.make_tensor('d', TensorProto.DOUBLE, [2], [0.25, 1e300])
half = numpy_helper.from_array(np.array([1.0, -2.5, 2.0**-24, 65504.0], dtype=np.float16), name='half')
i8 = helper.make_tensor('i8', TensorProto.INT8, [3], [-128, 0, 127])
nodes = [
  helper.make_node('Gemm', ['x', 'w', 'b'], ['h'], name='fc', transB=1, alpha=0.5),
  helper.make_node('LeakyRelu', ['h'], ['a'], name='act', alpha=0.1),
  helper.make_node('Reshape', ['a', 'shape'], ['y'], name='reshape'),
  helper.make_node('Softmax', ['y'], ['p'], name='sm', axis=-1),
]
g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 4])],
                      [helper.make_tensor_value_info('p', TensorProto.FLOAT, ['N', 3])], [w, b, shape, big, d, half, i8])
m = helper.make_model(g, producer_name='onnx-helper', opset_imports=[helper.make_opsetid('', 13)])
m.ir_version = 7
helper.set_model_props(m, {'qdistill.env': 'CartPole-v1', 'note': 'h\u00e9llo'})
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
`,
    path,
  );
  const model = readModelFile(path);
  assert.equal(model.irVersion, 7);
  assert.deepEqual(model.opsetImport, [{ domain: '', version: 13 }]);
  assert.equal(model.producerName, 'onnx-helper');
  assert.deepEqual(metadataOf(model), { 'qdistill.env': 'CartPole-v1', note: 'héllo' });
  const init = Object.fromEntries(model.graph!.initializer.map((t) => [t.name, t]));
  assert.deepEqual(Array.from(tensorToFloat32(init.w)), Array.from({ length: 12 }, (_, i) => i / 4));
  assert.ok(init.w.rawData && !init.b.rawData && init.b.floatData);
  assert.deepEqual(Array.from(tensorToFloat32(init.b)), [0.5, -1, 2]);
  assert.deepEqual(init.shape.int64Data, [-1, 3]);
  assert.deepEqual(init.big.int64Data, [2 ** 52 + 1]);
  assert.deepEqual(Array.from(tensorToFloat64(init.d)), [0.25, 1e300]);
  assert.deepEqual(Array.from(tensorToFloat32(init.half)), [1, -2.5, 2 ** -24, 65504]);
  assert.deepEqual(init.i8.int32Data, [-128, 0, 127]);
  assert.deepEqual(Array.from(tensorToFloat32(init.i8)), [-128, 0, 127]);
  const [fc, act, , sm] = model.graph!.node;
  assert.deepEqual(fc.attribute.map((a) => [a.name, a.type, a.i ?? a.f]), [['alpha', AttributeType.FLOAT, 0.5], ['transB', AttributeType.INT, 1]]);
  assert.equal(act.attribute[0].f, Math.fround(0.1));
  assert.equal(sm.attribute[0].i, -1);
  assert.deepEqual(model.graph!.input[0].type!.tensorType!.shape!.dim, [{ dimParam: 'N' }, { dimValue: 4 }]);
  assert.deepEqual(encodeModel(model), new Uint8Array(readFileSync(path)));
});

test('fields this schema does not declare are kept and written back', () => {
  const bytes = encodeModel(mlp(17));
  // Field 99 (varint 7) appended to the ModelProto: a field from some future IR version.
  const extended = new Uint8Array([...bytes, 0x98, 0x06, 0x07]);
  const model = decodeModel(extended, 'memory');
  assert.deepEqual(encodeModel(model), extended);
});

test('readModelFile: a missing file and a file over MAX_MODEL_BYTES are one-line usage errors', () => {
  assert.throws(() => readModelFile(join(dir, 'missing.onnx')), (e: Error) => e instanceof UsageError && /no such model file/.test(e.message));
  const huge = join(dir, 'huge.onnx');
  writeFileSync(huge, '');
  truncateSync(huge, MAX_MODEL_BYTES + 1); // sparse: nothing is written or read
  assert.throws(() => readModelFile(huge), (e: Error) => e instanceof OnnxFormatError && /reads models up to 512 MiB/.test(e.message));
});
