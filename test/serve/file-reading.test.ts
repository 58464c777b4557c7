// --output and --allow-fp16 reach serve, its web pages and compare: torch exports with two outputs (the
// Q-values second) and with float16 boundaries (made here by test/support/export_torch_policies.py with
// /usr/bin/python3) are served with torch's Q-values, and compared side by side with the teacher's output
// picked by name.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compare } from '../../src/pipelines/compare.js';
import { serve } from '../../src/pipelines/serve.js';
import { UsageError } from '../../src/util/errors.js';
import { readFloat32 } from '../support/float32-file.js';
import { torchFixtures } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_torch_policies.py', import.meta.url));
const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
let dir = '';

before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-file-reading-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertClose(actual: number[], expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance * scale, `Q[${i}] ${a} vs torch ${expected[i]}`));
}

for (const c of [
  { name: 'two', file: 'two-outputs', read: { output: 'values' } },
  { name: 'half', file: 'fp16', read: { allowFp16: true } },
]) {
  test(`serve ${JSON.stringify(c.read)}: the served Q-values of ${c.file}.onnx are torch's, and its page is built`, async () => {
    const server = await serve({ models: [{ name: c.name, file: join(dir, `${c.file}.onnx`) }], env: 'CartPole-v1', read: c.read, port: 0 });
    try {
      const states = readFloat32(join(dir, 'states.f32')).subarray(0, 8 * 4);
      const observations = Array.from({ length: 8 }, (_, i) => Array.from(states.subarray(i * 4, i * 4 + 4)));
      const response = await fetch(`${server.url}/v1/models/${c.name}:act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ observations }) });
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as { q_values: number[][] };
      assertClose(body.q_values.flat(), readFloat32(join(dir, `${c.file}.q.f32`)).subarray(0, 8 * 2), 1e-5);
      assert.equal((await fetch(`${server.url}/web/${c.name}/`)).status, 200);
    } finally {
      await server.close();
    }
  });
}

test('serve without --allow-fp16 refuses a float16 file with the one line that names the flag', async () => {
  await assert.rejects(
    serve({ models: [{ name: 'half', file: join(dir, 'fp16.onnx') }], env: 'CartPole-v1', port: 0, web: false }),
    (e: Error) => e instanceof UsageError && /is float16; pass --allow-fp16/.test(e.message),
  );
});

test("compare --output picks the teacher's Q-values; a float16 student needs --allow-fp16", async () => {
  const teacher = join(dir, 'two-outputs.onnx');
  const options = { env: 'CartPole-v1', episodes: 2, runtime: 'ort-cpu', batches: [1], seconds: 0.02 };
  const report = await compare(teacher, [join(dir, 'fp16.onnx'), STUDENT], { ...options, runtimeOptions: { output: 'values', allowFp16: true } });
  assert.deepEqual(report.latency.unsupported, []);
  assert.equal(report.latency.results.length, 3);
  // The float16 file holds the teacher's network with weights rounded to float16: it acts like the teacher almost everywhere.
  assert.ok(report.models[1].agreement > 0.95, `agreement ${report.models[1].agreement}`);
  await assert.rejects(
    compare(teacher, [join(dir, 'fp16.onnx')], { ...options, runtimeOptions: { output: 'values' } }),
    (e: Error) => e instanceof UsageError && /is float16; pass --allow-fp16/.test(e.message),
  );
});

test("compare without --env: a student with no qdistill metadata plays the teacher's environment", async () => {
  const report = await compare('models/cartpole-v1/teacher.onnx', [join(dir, 'fixed-batch.onnx')], { episodes: 2, runtime: 'ort-cpu', batches: [1], seconds: 0.02 });
  assert.equal(report.env, 'CartPole-v1');
  assert.equal(report.models[1].reward.episodes, 2);
  assert.deepEqual(report.latency.unsupported, []);
});
