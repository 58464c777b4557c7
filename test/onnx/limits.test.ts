// What the reader bounds and refuses before anything runs: graph sizes (counted from the wire before a
// message is built), non-finite weights, a graph output that is an intermediate tensor, and files that are
// not regular files (a FIFO would block the read, /dev/zero never ends) — the model and its external data.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeModel, makeNode, tensorAttr, tensorValueInfo } from '../../src/onnx/graph.js';
import { decodeModel, encodeModel, MAX_GRAPH_INITIALIZERS, MAX_GRAPH_NODES, OnnxFormatError, readModelFile, type ModelProto, type TensorProto } from '../../src/onnx/model.js';
import { readModelBytes } from '../../src/onnx/read-bytes.js';
import { scanGraphCounts } from '../../src/onnx/limits.js';
import { DataType, float16Tensor, float32Tensor } from '../../src/onnx/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { reluChainBytes } from './mutated-models.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-onnx-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rejects(bytes: Uint8Array, expected: string | RegExp): void {
  assert.throws(
    () => decodeModel(bytes, 'bad.onnx'),
    (e: unknown) => {
      assert.ok(e instanceof OnnxFormatError, `expected an OnnxFormatError, got ${e}`);
      assert.ok(!e.message.includes('\n'));
      if (typeof expected === 'string') assert.equal(e.message, `${expected} (bad.onnx)`);
      else assert.match(e.message, expected);
      return true;
    },
  );
}

function policy(weight: TensorProto, extra: Partial<ModelProto['graph']> = {}): ModelProto {
  return makeModel({
    graph: {
      node: [makeNode('MatMul', ['obs', weight.name!], ['q_values'], 'head')],
      initializer: [weight],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      ...extra,
    },
  });
}

test('the count scan agrees with the decoded graph on real models', () => {
  for (const file of ['models/cartpole-v1/teacher.onnx', 'models/pytorch/minatar-breakout-cnn.onnx', 'models/lunarlander-v3-compressed/policy.onnx']) {
    const bytes = new Uint8Array(readFileSync(file));
    const graph = decodeModel(bytes, file).graph!;
    assert.deepEqual(scanGraphCounts(bytes), { node: graph.node.length, initializer: graph.initializer.length, input: graph.input.length, output: graph.output.length, valueInfo: graph.valueInfo?.length ?? 0 }, file);
    assert.ok(graph.node.length * 100 < MAX_GRAPH_NODES, `${file} has ${graph.node.length} nodes`);
  }
});

test(`a graph of ${MAX_GRAPH_NODES} nodes is read; one more node, or 10^6, is refused by count`, () => {
  const atLimit = reluChainBytes(MAX_GRAPH_NODES - 1); // the chain's Relus and its MatMul head
  assert.equal(decodeModel(atLimit, 'ok.onnx').graph!.node.length, MAX_GRAPH_NODES);
  rejects(reluChainBytes(MAX_GRAPH_NODES), `graph has 10,001 nodes; qdistill reads graphs of at most 10,000 nodes`);
  rejects(reluChainBytes(1_000_000), `graph has 1,000,001 nodes; qdistill reads graphs of at most 10,000 nodes`);
  // Built in memory and written by a pass: the same limit, checked on the decoded graph.
  const model = decodeModel(atLimit, 'ok.onnx');
  model.graph!.initializer.push(...Array.from({ length: MAX_GRAPH_INITIALIZERS }, (_, i) => float32Tensor(`unused${i}`, [], [i])));
  rejects(encodeModel(model), `graph has 10,001 initializers; qdistill reads graphs of at most 10,000 initializers`);
});

test('NaN anywhere in a float constant, ±Inf in a weight of Gemm, MatMul or Conv, are refused naming the tensor', () => {
  const nan = Float32Array.from({ length: 8 }, (_, i) => i);
  nan[6] = NaN;
  rejects(encodeModel(policy(float32Tensor('w', [4, 2], nan))), "initializer 'w' (read by node 'head' (MatMul)) holds NaN at element 6 of [4,2]; a policy's weights must be finite numbers");
  const inf = Float32Array.from({ length: 8 }, (_, i) => i);
  inf[1] = -Infinity;
  rejects(encodeModel(policy(float16Tensor('w', [4, 2], inf))), "initializer 'w' (read by node 'head' (MatMul)) holds -Inf at element 1 of [4,2]; a policy's weights must be finite numbers");
  const viaFloatData = policy({ name: 'w', dims: [4, 2], dataType: DataType.FLOAT, floatData: [0, 1, 2, Infinity, 4, 5, 6, 7] });
  rejects(encodeModel(viaFloatData), /initializer 'w' \(read by node 'head' \(MatMul\)\) holds \+Inf at element 3/);
  // A NaN constant that is not a weight: refused all the same.
  const constant = policy(float32Tensor('w', [4, 2], new Float32Array(8)));
  constant.graph!.node[0].output[0] = 'm';
  constant.graph!.node.push(
    makeNode('Constant', [], ['c'], 'c', [tensorAttr('value', float32Tensor('c', [2], [1, NaN]))]),
    makeNode('Add', ['m', 'c'], ['q_values'], 'add'),
  );
  rejects(encodeModel(constant), "the value of node 'c' (Constant) holds NaN at element 1 of [2]; a policy's weights must be finite numbers");
  // -Inf as a Clip bound, +Inf in a mask added to the Q-values: exporters write these on purpose.
  const bounds = policy(float32Tensor('w', [4, 2], new Float32Array(8)), {
    initializer: [float32Tensor('w', [4, 2], new Float32Array(8)), float32Tensor('lo', [], [-Infinity]), float32Tensor('mask', [2], [0, Infinity])],
  });
  bounds.graph!.node = [
    makeNode('MatMul', ['obs', 'w'], ['m'], 'head'),
    makeNode('Add', ['m', 'mask'], ['masked'], 'mask'),
    makeNode('Clip', ['masked', 'lo'], ['q_values'], 'clip'),
  ];
  assert.doesNotThrow(() => decodeModel(encodeModel(bounds), 'ok.onnx'));
});

test('a graph output that a node reads whose result feeds no output is refused; a second output that feeds one is not', () => {
  const hidden = makeModel({
    graph: {
      node: [makeNode('MatMul', ['obs', 'w1'], ['h'], 'fc1'), makeNode('Relu', ['h'], ['a'], 'relu'), makeNode('MatMul', ['a', 'w2'], ['q_values'], 'fc2')],
      initializer: [float32Tensor('w1', [4, 8], new Float32Array(32)), float32Tensor('w2', [8, 2], new Float32Array(16))],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('a', DataType.FLOAT, ['batch', 8])],
    },
  });
  rejects(encodeModel(hidden), "graph output 'a' is an intermediate tensor: node 'fc2' (MatMul) reads it, and what that node computes feeds no graph output (is the output named after the wrong tensor?)");
  hidden.graph!.output.push(tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2]));
  assert.doesNotThrow(() => decodeModel(encodeModel(hidden), 'ok.onnx'));
});

test('a FIFO, a device, a folder or a missing file is refused before a byte is read, as the model or as its external data', () => {
  const fifo = join(dir, 'model.onnx.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const refused = (read: () => unknown, pattern: RegExp) =>
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  refused(() => readModelBytes(fifo), /^model file is a named pipe, not a file \(.*model\.onnx\.fifo\)$/);
  refused(() => readModelFile(fifo), /^model file is a named pipe, not a file/);
  refused(() => readModelBytes('/dev/zero'), /^model file is a device, not a file \(\/dev\/zero\)$/);
  refused(() => readModelBytes(dir), /^model file is a folder, not a file/);
  refused(() => readModelBytes(join(dir, 'missing.onnx')), /^model file not found or unreadable \(/);

  // An initializer whose external data is a FIFO beside the model.
  const folder = join(dir, 'external');
  mkdirSync(folder);
  assert.equal(spawnSync('mkfifo', [join(folder, 'weights.bin')]).status, 0);
  const model = policy({ name: 'w', dims: [4, 2], dataType: DataType.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }, { key: 'length', value: '32' }] });
  writeFileSync(join(folder, 'model.onnx'), encodeModel(model));
  refused(() => readModelBytes(join(folder, 'model.onnx')), /^tensor 'w': its external data 'weights\.bin' is a named pipe, not a file/);
});
