import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runPass } from '../../src/compress/pass.js';
import { prunePass } from '../../src/compress/prune.js';
import { intAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { inspectModel } from '../../src/onnx/inspect.js';
import { decodeModel, encodeModel, type ModelProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor, tensorToFloat32 } from '../../src/onnx/tensor.js';
import { Rng } from '../../src/envs/rng.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { ortOutputs } from '../support/ort-outputs.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-prune-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('structured pruning of the CartPole teacher halves both hidden layers: hand-counted parameters and MACs', () => {
  const input = decodeModel(readFileSync('models/cartpole-v1/teacher.onnx'), 'teacher');
  const { model, report } = runPass(prunePass, input, { sparsity: 0.5, structured: true });
  assert.deepEqual(report.changes.map((c) => c.replace(/'.*'/, '')), ['Gemm : 256 → 128 units', 'Gemm : 256 → 128 units']);
  assert.deepEqual(report.declined, { Gemm: 1 }); // the output layer has no next layer to shrink
  const s = inspectModel(model);
  assert.equal(s.parameters, 4 * 128 + 128 + 128 * 128 + 128 + 128 * 2 + 2);
  assert.equal(s.macs, 4 * 128 + 128 * 128 + 128 * 2);
  const path = join(dir, 'structured.onnx');
  writeFileSync(path, encodeModel(model));
  assert.ok(referenceCheck(path).ok);
});

test('structured pruning removes the weakest units: dead units go and the outputs stay exactly the same', async () => {
  // 4 → 6 hidden (units 1 and 4 have no incoming weights and no bias: always 0 after Relu) → 2, Gemm with transB on the head
  const rng = new Rng(2);
  const w1 = Float32Array.from({ length: 24 }, (_, i) => (i % 6 === 1 || i % 6 === 4 ? 0 : rng.normal()));
  const b1 = Float32Array.from({ length: 6 }, (_, j) => (j === 1 || j === 4 ? 0 : rng.normal()));
  const w2t = Float32Array.from({ length: 12 }, () => rng.normal()); // [2, 6], read with transB = 1
  const model = makeModel({
    graph: {
      name: 'dead-units',
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      initializer: [float32Tensor('w1', [4, 6], w1), float32Tensor('b1', [6], b1), float32Tensor('w2t', [2, 6], w2t), float32Tensor('b2', [2], [0.5, -0.5])],
      node: [makeNode('Gemm', ['obs', 'w1', 'b1'], ['h'], 'fc1'), makeNode('Relu', ['h'], ['r'], 'relu'), makeNode('Gemm', ['r', 'w2t', 'b2'], ['q_values'], 'head', [intAttr('transB', 1)])],
    },
  });
  const { model: pruned } = runPass(prunePass, model, { sparsity: 1 / 3, structured: true });
  assert.equal(inspectModel(pruned).parameters, 4 * 4 + 4 + 2 * 4 + 2);
  const x = Float32Array.from({ length: 4 * 100 }, () => rng.normal());
  assert.deepEqual(await ortOutputs(pruned, x, [100, 4]), await ortOutputs(model, x, [100, 4]));
});

test('unstructured pruning zeroes the smallest-magnitude half of every weight tensor', () => {
  const input = decodeModel(readFileSync('models/lunarlander-v3-student-64x64/student.onnx'), 'student');
  const { model } = runPass(prunePass, input, { sparsity: 0.5, structured: false });
  const weights = model.graph!.initializer.filter((t) => t.dims.length === 2);
  assert.equal(weights.length, 3);
  for (const t of weights) {
    const values = tensorToFloat32(t);
    const zeros = values.filter((v) => v === 0).length;
    assert.equal(zeros, Math.floor(values.length / 2));
    const smallestKept = Math.min(...values.filter((v) => v !== 0).map(Math.abs));
    const original = tensorToFloat32(input.graph!.initializer.find((o) => o.dims.join() === t.dims.join())!);
    const largestDropped = Math.max(...original.filter((_, i) => values[i] === 0).map(Math.abs));
    assert.ok(largestDropped <= smallestKept);
  }
  assert.equal(inspectModel(model).macs, inspectModel(input).macs);
});
