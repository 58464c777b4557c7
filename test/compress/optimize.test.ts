import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { envSpec } from '../../src/envs/registry.js';
import { Rng } from '../../src/envs/rng.js';
import { optimizePass } from '../../src/compress/optimize.js';
import { runPass } from '../../src/compress/pass.js';
import { tfjsToOnnx } from '../../src/onnx/export-tfjs.js';
import { intAttr, intsAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { inspectModel } from '../../src/onnx/inspect.js';
import { encodeModel, type ModelProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor } from '../../src/onnx/tensor.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { loadLayersModel } from '../../src/tfjs/model-io.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { ortOutputs } from '../support/ort-outputs.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-optimize-'));
before(async () => {
  quietTfjs();
  await activateBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertSameOutputs(a: Float32Array, b: Float32Array): void {
  const scale = Math.max(1, ...a.map(Math.abs));
  const worst = a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
  assert.ok(worst <= 1e-6 * scale, `max |difference| ${worst}`);
}

const random = (n: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

test('optimize turns MatMul + Add into Gemm with the same outputs (our MatMul export of the Acrobot teacher)', async () => {
  const teacher = await loadLayersModel('models/acrobot-v1');
  const input = tfjsToOnnx(teacher, envSpec('Acrobot-v1'), { dense: 'matmul' });
  assert.deepEqual(inspectModel(input).opHistogram, { MatMul: 3, Add: 3, Relu: 2 });
  const { model, report } = runPass(optimizePass, input, {});
  assert.deepEqual(inspectModel(model).opHistogram, { Gemm: 3, Relu: 2 });
  assert.equal(report.changes.length, 3);
  const path = join(dir, 'acrobot.onnx');
  writeFileSync(path, encodeModel(model));
  assert.ok(referenceCheck(path).ok);
  const x = random(500 * 6, 1);
  assertSameOutputs(await ortOutputs(input, x, [500, 6]), await ortOutputs(model, x, [500, 6]));
});

test('optimize drops Identity and Dropout, cancels paired Transposes, folds a constant Transpose and a Transpose into Gemm', async () => {
  // 'w1t' is stored transposed ([3, 4]); the Transpose of it must fold into a [4, 3] constant.
  const input = makeModel({
    graph: {
      name: 'messy',
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      initializer: [
        float32Tensor('w1t', [3, 4], random(12, 3)),
        float32Tensor('b1', [3], random(3, 4)),
        float32Tensor('w2', [3, 2], random(6, 7)),
        float32Tensor('b2', [2], random(2, 5)),
      ],
      node: [
        makeNode('Identity', ['obs'], ['x'], 'identity'),
        makeNode('Transpose', ['x'], ['xt'], 'transpose_a', [intsAttr('perm', [1, 0])]),
        makeNode('Transpose', ['xt'], ['xtt'], 'transpose_b', [intsAttr('perm', [1, 0])]),
        makeNode('Dropout', ['xtt'], ['d'], 'dropout'),
        makeNode('Transpose', ['w1t'], ['w1'], 'transpose_const', [intsAttr('perm', [1, 0])]),
        makeNode('Gemm', ['d', 'w1', 'b1'], ['h'], 'gemm1'),
        makeNode('Transpose', ['h'], ['ht'], 'transpose_h', [intsAttr('perm', [1, 0])]),
        makeNode('Gemm', ['ht', 'w2', 'b2'], ['q_values'], 'gemm2', [intAttr('transA', 1)]),
      ],
    },
  });
  const { model, report } = runPass(optimizePass, input, {});
  assert.deepEqual(inspectModel(model).opHistogram, { Gemm: 2 }, report.changes.join('\n'));
  const path = join(dir, 'messy.onnx');
  writeFileSync(path, encodeModel(model));
  assert.ok(referenceCheck(path).ok);
  const x = random(64 * 4, 6);
  assertSameOutputs(await ortOutputs(input, x, [64, 4]), await ortOutputs(model, x, [64, 4]));
});

test('optimize leaves a graph output alone and changes nothing in an already clean model', async () => {
  const { model, report } = runPass(optimizePass, (await import('../../src/onnx/model.js')).readModelFile('models/cartpole-v1/teacher.onnx'), {});
  assert.equal(report.changes.length, 0);
  assert.deepEqual(inspectModel(model).opHistogram, { Gemm: 3, Relu: 2 });
});
