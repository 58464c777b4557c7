import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { referenceCheck } from '../support/onnx-checker.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-cli-onnx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertOneLineError(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

test('inspect --json on a PyTorch export: hand-counted parameters and multiply-accumulates', () => {
  const r = runCli(['inspect', 'models/pytorch/cartpole-v1-mlp.onnx', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  // Linear(4,256) + Linear(256,256) + Linear(256,2): weights and biases
  assert.equal(s.parameters, 4 * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2);
  assert.equal(s.macs, 4 * 256 + 256 * 256 + 256 * 2);
  assert.deepEqual(s.opHistogram, { Gemm: 3, Relu: 2 });
  assert.equal(s.producerName, 'pytorch');
  assert.equal(s.inputs[0].name, 'input');
});

test('inspect prints a readable summary of our teacher, metadata included', () => {
  const r = runCli(['inspect', 'models/lunarlander-v3/teacher.onnx']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /IR version\s+8/);
  assert.match(r.stdout, /ai\.onnx 17/);
  assert.match(r.stdout, /qdistill\.env = LunarLander-v3/);
  assert.match(r.stdout, /ReduceMean|Gemm/);
});

test('eval plays an ONNX teacher through onnxruntime; a file without metadata needs --env', () => {
  const r = runCli(['eval', 'models/cartpole-v1/teacher.onnx', '--episodes', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).returns, [500, 500, 500]);
  assertOneLineError(['eval', 'models/pytorch/cartpole-v1-mlp.onnx', '--episodes', '1'], /^qdistill: the model has no qdistill.env metadata; pass --env <id>/);
  assertOneLineError(['eval', 'models/pytorch/cartpole-v1-mlp.onnx', '--env', 'LunarLander-v3'], /^qdistill: input 'input' has shape \[batch, 4\], but LunarLander-v3 observations are \[batch, 8\]/);
});

test('export onnx: opset 13 with MatMul + Add, checked by the reference checker and inspected back', () => {
  const out = join(dir, 'acrobot-13.onnx');
  const r = runCli(['export', 'onnx', 'models/acrobot-v1', '--out', out, '--opset', '13', '--dense', 'matmul', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(referenceCheck(out).ok);
  const s = JSON.parse(runCli(['inspect', out, '--json']).stdout);
  assert.deepEqual(s.opsets, { 'ai.onnx': 13 });
  assert.equal(s.opHistogram.MatMul, 3);
  assert.equal(s.opHistogram.Gemm, undefined);
});

test('bad model files: one line and exit code 2 each', () => {
  const valid = readFileSync('models/cartpole-v1/teacher.onnx');
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty.onnx', new Uint8Array(0), /empty/],
    ['truncated.onnx', valid.subarray(0, Math.floor(valid.length / 2)), /truncated|not an ONNX model|runs past/],
    ['random.onnx', Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24), /not an ONNX model|invalid|unsupported|wire type|protobuf/i],
  ];
  for (const [name, bytes, pattern] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    assertOneLineError(['inspect', path], pattern);
    assertOneLineError(['eval', path, '--env', 'CartPole-v1'], pattern);
  }
  assertOneLineError(['inspect', join(dir, 'missing.onnx')], /not found/);
});
