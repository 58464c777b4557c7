// `eval --workers` and `--runtime` through the CLI: from the TypeScript sources and from the built package
// (bin/qdistill runs dist/, where the worker is a .js module), with the same returns as one thread.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ourLines, ROOT, runCli } from './run-cli.js';

const student = 'models/cartpole-v1-student-16x16/student.onnx';
const lander = 'models/lunarlander-v3-student-64x64/student.onnx';

test('eval --workers 2 reports the same returns as one worker, from sources and from the build', () => {
  const one = runCli(['eval', lander, '--episodes', '4', '--json']);
  assert.equal(one.status, 0, one.stderr);
  const two = runCli(['eval', lander, '--episodes', '4', '--workers', '2', '--json']);
  assert.equal(two.status, 0, two.stderr);
  assert.deepEqual(JSON.parse(two.stdout).returns, JSON.parse(one.stdout).returns);
  const built = spawnSync(process.execPath, ['bin/qdistill', 'eval', lander, '--episodes', '4', '--workers', '2', '--json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  assert.deepEqual(JSON.parse(built.stdout).returns, JSON.parse(one.stdout).returns);
});

test('--runtime auto prints its measured choice; an unknown runtime is one line and exit 2', () => {
  const auto = runCli(['eval', student, '--episodes', '2', '--runtime', 'auto']);
  assert.equal(auto.status, 0, auto.stderr);
  assert.match(auto.stderr, /runtime auto → \S+ \(median per call: .*µs/);
  const unknown = runCli(['eval', student, '--runtime', 'tpu']);
  assert.equal(unknown.status, 2);
  assert.deepEqual(ourLines(unknown.stderr), [ourLines(unknown.stderr)[0]]);
  assert.match(unknown.stderr, /unknown runtime 'tpu' \(known: .*ort-cpu/);
});

test('--workers with a tfjs folder is refused with the reason', () => {
  const r = runCli(['eval', 'models/cartpole-v1', '--workers', '2']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--workers needs an ONNX policy file/);
});
