import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { intAttr, intsAttr, makeModel, makeNode, stringAttr, tensorValueInfo } from '../../src/onnx/graph.js';
import { formatSummary, inspectModel } from '../../src/onnx/inspect.js';
import { decodeModel, encodeModel, writeModelFile, type ModelProto, type NodeProto, type TensorProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { torchFlatten } from '../support/torch-flatten.js';

// Every expected number below is worked out by hand in the comments, not taken from a previous run.

const dir = mkdtempSync(join(tmpdir(), 'qdistill-onnx-inspect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The reference checker (with its shape inference) must accept each model, so the expectations are about real ONNX. */
function checkerAccepts(model: ModelProto, name: string): void {
  const path = join(dir, `${name}.onnx`);
  writeModelFile(path, model);
  const r = spawnSync('/usr/bin/python3', ['-c', 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")', path], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'ok', r.stderr || String(r.error));
}

const filled = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 7) / 10 - 0.3);
const weight = (name: string, dims: number[]) => float32Tensor(name, dims, filled(dims.reduce((a, b) => a * b, 1)));

function model(nodes: NodeProto[], initializers: TensorProto[], inputDims: (number | string)[], outputs: number, opset = 17): ModelProto {
  return makeModel({
    graph: {
      node: nodes,
      initializer: initializers,
      input: [tensorValueInfo('obs', DataType.FLOAT, inputDims)],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', outputs])],
    },
    opset,
    producerVersion: '9.9.9',
    metadata: { 'qdistill.env': 'CartPole-v1', 'qdistill.output': 'q_values' },
  });
}

// MLP 4-16-16-2: parameters 4·16+16 + 16·16+16 + 16·2+2 = 80 + 272 + 34 = 386 (1544 bytes of float32);
// MACs per row 4·16 + 16·16 + 16·2 = 64 + 256 + 32 = 352.
function mlpGemm(transB: boolean): ModelProto {
  const dims = (k: number, n: number) => (transB ? [n, k] : [k, n]);
  const attrs = transB ? [intAttr('transB', 1)] : [];
  return model(
    [
      makeNode('Gemm', ['obs', 'w1', 'b1'], ['h1'], 'fc1', attrs),
      makeNode('Relu', ['h1'], ['a1'], 'relu1'),
      makeNode('Gemm', ['a1', 'w2', 'b2'], ['h2'], 'fc2', attrs),
      makeNode('Relu', ['h2'], ['a2'], 'relu2'),
      makeNode('Gemm', ['a2', 'w3', 'b3'], ['q_values'], 'fc3', attrs),
    ],
    [weight('w1', dims(4, 16)), weight('b1', [16]), weight('w2', dims(16, 16)), weight('b2', [16]), weight('w3', dims(16, 2)), weight('b3', [2])],
    ['batch', 4],
    2,
  );
}

function mlpMatMul(): ModelProto {
  return model(
    [
      makeNode('MatMul', ['obs', 'w1'], ['m1'], 'mm1'),
      makeNode('Add', ['m1', 'b1'], ['h1'], 'add1'),
      makeNode('Relu', ['h1'], ['a1'], 'relu1'),
      makeNode('MatMul', ['a1', 'w2'], ['m2'], 'mm2'),
      makeNode('Add', ['m2', 'b2'], ['h2'], 'add2'),
      makeNode('Relu', ['h2'], ['a2'], 'relu2'),
      makeNode('MatMul', ['a2', 'w3'], ['m3'], 'mm3'),
      makeNode('Add', ['m3', 'b3'], ['q_values'], 'add3'),
    ],
    [weight('w1', [4, 16]), weight('b1', [16]), weight('w2', [16, 16]), weight('b2', [16]), weight('w3', [16, 2]), weight('b3', [2])],
    ['batch', 4],
    2,
  );
}

test('MLP 4-16-16-2 with Gemm (weights as [K,N] or transposed): 386 parameters, 352 MACs, 1544 bytes', () => {
  for (const transB of [false, true]) {
    const m = mlpGemm(transB);
    checkerAccepts(m, `mlp-gemm-${transB}`);
    const s = inspectModel(decodeModel(encodeModel(m), 'mlp'));
    assert.equal(s.parameters, 386);
    assert.equal(s.macs, 352);
    assert.deepEqual(s.macsByOp, { Gemm: 352 });
    assert.deepEqual(s.bytesByType, { FLOAT: 1544 });
    assert.equal(s.initializerBytes, 1544);
    assert.deepEqual(s.opHistogram, { Gemm: 3, Relu: 2 });
    assert.equal(s.nodeCount, 5);
    assert.equal(s.irVersion, 8);
    assert.deepEqual(s.opsets, { 'ai.onnx': 17 });
    assert.equal(s.producerName, 'qdistill');
    assert.equal(s.producerVersion, '9.9.9');
    assert.deepEqual(s.inputs, [{ name: 'obs', elemType: 'FLOAT', dims: ['batch', 4] }]);
    assert.deepEqual(s.outputs, [{ name: 'q_values', elemType: 'FLOAT', dims: ['batch', 2] }]);
    assert.deepEqual(s.metadata, { 'qdistill.env': 'CartPole-v1', 'qdistill.output': 'q_values' });
  }
});

test('the same MLP as MatMul + Add: same parameters and MACs', () => {
  const m = mlpMatMul();
  checkerAccepts(m, 'mlp-matmul');
  const s = inspectModel(m);
  assert.equal(s.parameters, 386);
  assert.equal(s.macs, 352);
  assert.deepEqual(s.macsByOp, { MatMul: 352 });
  assert.deepEqual(s.opHistogram, { MatMul: 3, Add: 3, Relu: 2 });
});

// CNN on 1×4×10×10:
//   conv1 8×4×3×3, pads 1, stride 2: out ⌊(10+2−3)/2⌋+1 = 5 → 8×5×5; MACs 5·5·8·4·9 = 7200; params 288+8 = 296
//   maxpool 2×2 stride 2: ⌊(5−2)/2⌋+1 = 2 → 8×2×2
//   conv2 16×8×3×3, pads 1, stride 1, no bias: 16×2×2; MACs 2·2·16·8·9 = 4608; params 1152
//   flatten → 64; fc 64→32: MACs 2048, params 2080; out 32→3: MACs 96, params 99
//   total MACs 7200+4608+2048+96 = 13952; float parameters 296+1152+2080+99 = 3627 (14508 bytes)
function cnnLayers(flatten: NodeProto[]): NodeProto[] {
  return [
    makeNode('Conv', ['obs', 'c1.w', 'c1.b'], ['c1'], 'conv1', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [2, 2])]),
    makeNode('Relu', ['c1'], ['r1'], 'relu1'),
    makeNode('MaxPool', ['r1'], ['p1'], 'pool', [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]),
    makeNode('Conv', ['p1', 'c2.w'], ['c2'], 'conv2', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1])]),
    makeNode('Relu', ['c2'], ['r2'], 'relu2'),
    ...flatten,
    makeNode('Gemm', ['flat', 'fc.w', 'fc.b'], ['h'], 'fc', [intAttr('transB', 1)]),
    makeNode('Relu', ['h'], ['a'], 'relu3'),
    makeNode('Gemm', ['a', 'out.w', 'out.b'], ['q_values'], 'out'),
  ];
}
const cnnWeights = () => [weight('c1.w', [8, 4, 3, 3]), weight('c1.b', [8]), weight('c2.w', [16, 8, 3, 3]), weight('fc.w', [32, 64]), weight('fc.b', [32]), weight('out.w', [32, 3]), weight('out.b', [3])];

test('CNN with Flatten: 3627 parameters, 13952 MACs', () => {
  const m = model(cnnLayers([makeNode('Flatten', ['r2'], ['flat'], 'flatten', [intAttr('axis', 1)])]), cnnWeights(), ['batch', 4, 10, 10], 3);
  checkerAccepts(m, 'cnn-flatten');
  const s = inspectModel(m);
  assert.equal(s.parameters, 3627);
  assert.equal(s.macs, 13952);
  assert.deepEqual(s.macsByOp, { Conv: 7200 + 4608, Gemm: 2048 + 96 });
  assert.deepEqual(s.bytesByType, { FLOAT: 3627 * 4 });
  assert.deepEqual(s.opHistogram, { Conv: 2, Relu: 3, MaxPool: 1, Flatten: 1, Gemm: 2 });
});

test("CNN with torch.onnx's Shape→Gather→Unsqueeze→Concat→Reshape flatten (opset 13): the same MACs; the int64 constants are bytes, not parameters", () => {
  // 'zero' (1 element), 'axes' (1) and the Constant [-1] (1) are shape constants: 24 bytes of INT64, no parameters.
  const flatten = torchFlatten('r2', 'flat');
  const m = model(cnnLayers(flatten), [...cnnWeights(), int64Tensor('zero', [], [0]), int64Tensor('axes', [1], [0])], ['batch', 4, 10, 10], 3, 13);
  checkerAccepts(m, 'cnn-torch-flatten');
  const s = inspectModel(m);
  assert.equal(s.macs, 13952);
  assert.equal(s.parameters, 3627);
  assert.deepEqual(s.bytesByType, { FLOAT: 14508, INT64: 24 });
  assert.equal(s.initializerBytes, 14508 + 16);
  assert.deepEqual(s.opsets, { 'ai.onnx': 13 });
});

test('CNN with Reshape to a constant [0, -1] and a fixed batch of 1', () => {
  const m = model(cnnLayers([makeNode('Reshape', ['r2', 'to'], ['flat'], 'reshape')]), [...cnnWeights(), int64Tensor('to', [2], [0, -1])], [1, 4, 10, 10], 3);
  checkerAccepts(m, 'cnn-reshape');
  const s = inspectModel(m);
  assert.equal(s.macs, 13952);
  assert.equal(s.parameters, 3627);
  assert.deepEqual(s.inputs[0].dims, [1, 4, 10, 10]);
});

test('grouped, dilated and SAME-padded convolutions, then global average pooling', () => {
  // conv1: group 4, weight 8×1×3×3, dilation 2, pads 2: span 2·2+1 = 5, out 10+4−5+1 = 10 → 8×10×10;
  //        MACs 10·10·8·(4/4)·9 = 7200; params 72
  // conv2: 4×8×3×3, SAME_UPPER, stride 2: out ⌈10/2⌉ = 5 → 4×5×5; MACs 5·5·4·8·9 = 7200; params 288
  // global average pool → 4×1×1, flatten → 4, Gemm 4→2: MACs 8; params 8+2
  const m = model(
    [
      makeNode('Conv', ['obs', 'g.w'], ['c1'], 'grouped', [intAttr('group', 4), intsAttr('dilations', [2, 2]), intsAttr('pads', [2, 2, 2, 2]), intsAttr('kernel_shape', [3, 3])]),
      makeNode('Relu', ['c1'], ['r1'], 'relu'),
      makeNode('Conv', ['r1', 's.w'], ['c2'], 'same', [stringAttr('auto_pad', 'SAME_UPPER'), intsAttr('strides', [2, 2])]),
      makeNode('GlobalAveragePool', ['c2'], ['g'], 'gap'),
      makeNode('Flatten', ['g'], ['f'], 'flatten'),
      makeNode('Gemm', ['f', 'fc.w', 'fc.b'], ['q_values'], 'fc'),
    ],
    [weight('g.w', [8, 1, 3, 3]), weight('s.w', [4, 8, 3, 3]), weight('fc.w', [4, 2]), weight('fc.b', [2])],
    ['batch', 4, 10, 10],
    2,
  );
  checkerAccepts(m, 'grouped');
  const s = inspectModel(m);
  assert.equal(s.macs, 7200 + 7200 + 8);
  assert.equal(s.parameters, 72 + 288 + 10);
});

test('MACs are null, not a guess, when a shape cannot be inferred', () => {
  const m = mlpMatMul();
  m.graph!.input[0] = tensorValueInfo('obs', DataType.FLOAT); // no shape at all
  const s = inspectModel(m);
  assert.equal(s.macs, null);
  assert.equal(s.parameters, 386);
  assert.deepEqual(s.inputs[0].dims, null);
});

test('formatSummary prints one labelled row per fact', () => {
  const text = formatSummary(inspectModel(mlpGemm(false)));
  const lines = text.split('\n');
  const row = (label: string) => lines.find((l) => l.startsWith(label)) ?? '';
  assert.match(row('IR version'), /IR version\s+8$/);
  assert.match(row('opsets'), /ai\.onnx 17/);
  assert.match(row('producer'), /qdistill 9\.9\.9/);
  assert.match(row('inputs'), /obs\s+FLOAT \[batch, 4\]/);
  assert.match(row('outputs'), /q_values\s+FLOAT \[batch, 2\]/);
  assert.match(row('nodes'), /5: Gemm ×3, Relu ×2/);
  assert.match(row('parameters'), /\s386$/);
  assert.match(row('weights'), /1\.5 KiB in initializers/);
  assert.match(row('MACs'), /352 per inference at batch 1/);
  assert.match(row('metadata'), /qdistill\.env = CartPole-v1/);
  assert.ok(lines.some((l) => /^\s+qdistill\.output = q_values$/.test(l)));
});

test('inspect prints names and metadata from the file with control characters escaped: a name cannot forge a line or drive the terminal', () => {
  const forged = 'obs\nqdistill: forged\u001b[2J';
  const model = makeModel({
    graph: {
      name: 'escaped',
      node: [makeNode('Gemm', [forged, 'w'], ['q_values'], 'dense')],
      initializer: [float32Tensor('w', [4, 2], new Float32Array(8))],
      input: [tensorValueInfo(forged, DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
    },
    metadata: { 'qdistill.env': 'CartPole-v1\r\u001b[31mred' },
  });
  const text = formatSummary(inspectModel(decodeModel(encodeModel(model), 'escaped.onnx')));
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f]/, 'no raw control character besides the newlines between rows');
  assert.ok(text.split('\n').every((line) => !line.startsWith('qdistill:')), 'no line starts like an error line');
  assert.match(text, /obs\\nqdistill: forged\\x1b\[2J/);
  assert.match(text, /CartPole-v1 ?\\x1b\[31mred|CartPole-v1\\r\\x1b\[31mred/);
});
