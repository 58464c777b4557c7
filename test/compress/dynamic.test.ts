import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ortWeb from 'onnxruntime-web';
import { compareOnEnvStates } from '../../src/compress/compare.js';
import { runPass } from '../../src/compress/pass.js';
import { dynamicQuantizationPass } from '../../src/compress/quantize-dynamic.js';
import { inspectModel } from '../../src/onnx/inspect.js';
import { decodeModel, encodeModel } from '../../src/onnx/model.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { ortOutputs } from '../support/ort-outputs.js';
import { loadModelBytes } from '../../src/onnx/read-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-dynamic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cases = [
  { file: 'models/cartpole-v1-student-16x16/student.onnx', student: true, obs: 4 },
  { file: 'models/lunarlander-v3-student-64x64/student.onnx', student: true, obs: 8 },
  { file: 'models/pytorch/cartpole-v1-mlp.onnx', env: 'CartPole-v1', student: false, obs: 4 },
];

for (const { file, env, student, obs } of cases) {
  for (const perChannel of [false, true]) {
    test(`dynamic int8 ${perChannel ? 'per channel' : 'per tensor'} of ${file}: MatMulInteger graph, checker, onnxruntime-node and -web, close outputs`, async (t) => {
      const original = new Uint8Array(readFileSync(file));
      const { model, report } = runPass(dynamicQuantizationPass, decodeModel(original, file), { perChannel, keepInputLayer: true });
      const ops = inspectModel(model).opHistogram;
      // the first layer reads the observation and stays float; the others become integer MatMuls
      assert.equal(ops.MatMulInteger, 2, JSON.stringify(ops));
      assert.equal(ops.DynamicQuantizeLinear, 2);
      assert.equal(ops.Gemm, 1);
      assert.equal(report.changes.length, 2);
      const bytes = encodeModel(model);
      const path = join(dir, `${perChannel}_${file.replace(/\W+/g, '_')}`);
      writeFileSync(path, bytes);
      const check = referenceCheck(path);
      assert.ok(check.ok, check.message);
      ortWeb.env.wasm.numThreads = 1;
      const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const out = await web.run({ [web.inputNames[0]]: new ortWeb.Tensor('float32', new Float32Array(obs).fill(0.1), [1, obs]) });
      assert.ok(Number.isFinite((Object.values(out)[0].data as Float32Array)[0]));
      await web.release();
      const c = await compareOnEnvStates(loadModelBytes(original, 'original'), loadModelBytes(bytes, 'compressed'), env);
      t.diagnostic(`agreement ${(100 * c.agreement).toFixed(1)}%, max |error| ${c.maxAbsError.toPrecision(3)} of ${c.maxAbsOutput.toPrecision(3)}`);
      // measured here: students 98.8–99.5%; the bound leaves room for other CPUs' rounding
      if (student) assert.ok(c.agreement >= 0.98, `agreement ${c.agreement}`);
      assert.ok(c.maxAbsError <= 0.02 * c.maxAbsOutput, `max |error| ${c.maxAbsError}`);
    });
  }
}

test('Conv becomes ConvInteger: checker, onnxruntime-node and -web run the Breakout teacher, outputs stay close', async (t) => {
  const file = 'models/minatar-breakout/teacher.onnx';
  const original = new Uint8Array(readFileSync(file));
  const { model, report } = runPass(dynamicQuantizationPass, decodeModel(original, file), { perChannel: true, keepInputLayer: true });
  // the Conv reads a Transpose of the observation, not the observation itself, so it is rewritten too
  assert.equal(report.changes.length, 3);
  assert.deepEqual(report.declined, {});
  assert.deepEqual(Object.keys(report.untouched).sort(), ['Flatten', 'Relu', 'Transpose']);
  const ops = inspectModel(model).opHistogram;
  assert.equal(ops.ConvInteger, 1);
  assert.equal(ops.Conv ?? 0, 0);
  const bytes = encodeModel(model);
  const path = join(dir, 'breakout_conv_integer.onnx');
  writeFileSync(path, bytes);
  const check = referenceCheck(path);
  assert.ok(check.ok, check.message);
  // onnxruntime-web against onnxruntime-node on the same (random binary) observations
  const obs = Float32Array.from({ length: 8 * 400 }, (_, i) => ((i * 2654435761) >>> 28) & 1);
  ortWeb.env.wasm.numThreads = 1;
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const webOut = (await web.run({ [web.inputNames[0]]: new ortWeb.Tensor('float32', obs, [8, 10, 10, 4]) }))[web.outputNames[0]].data as Float32Array;
  await web.release();
  const nodeOut = await ortOutputs(model, obs, [8, 10, 10, 4]);
  const floatOut = await ortOutputs(decodeModel(original, file), obs, [8, 10, 10, 4]);
  for (let i = 0; i < nodeOut.length; i++) {
    assert.ok(Math.abs(webOut[i] - nodeOut[i]) < 1e-4, `web ${webOut[i]} vs node ${nodeOut[i]}`);
    assert.ok(Math.abs(nodeOut[i] - floatOut[i]) < 0.05 * Math.max(...floatOut.map(Math.abs)), `int8 ${nodeOut[i]} vs float ${floatOut[i]}`);
  }
  const c = await compareOnEnvStates(loadModelBytes(original, 'original'), loadModelBytes(bytes, 'compressed'), undefined);
  t.diagnostic(`agreement ${(100 * c.agreement).toFixed(1)}%, max |error| ${c.maxAbsError.toPrecision(3)} of ${c.maxAbsOutput.toPrecision(3)}`);
  assert.ok(c.maxAbsError <= 0.05 * c.maxAbsOutput, `max |error| ${c.maxAbsError}`);
});
