// The passes say when they lose reward: a warning line on stderr, and with --strict exit code 2 and one line.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ourLines, runCli } from './run-cli.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const dir = mkdtempSync(join(tmpdir(), 'qdistill-strict-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a pass that loses reward warns on stderr and still exits 0', () => {
  const r = runCli(['prune', STUDENT, '--sparsity', '0.9', '--episodes', '10', '--out', join(dir, 'p90.onnx')]);
  assert.equal(r.status, 0, r.stderr);
  const lines = ourLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^qdistill: warning: the return fell from 500\.0 ± 0\.0 to .* of the input's gain over a random policy/);
});

test('--strict makes the lost reward one line with exit code 2, and the file is still there to look at', () => {
  const out = join(dir, 'p90-strict.onnx');
  const r = runCli(['prune', STUDENT, '--sparsity', '0.9', '--episodes', '10', '--strict', '--out', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(ourLines(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, /^qdistill: --strict: the return fell from 500\.0/m);
  assert.ok(existsSync(out));
});

test('--strict on a pass that keeps the return exits 0 without a warning', () => {
  const r = runCli(['optimize', STUDENT, '--episodes', '5', '--strict', '--out', join(dir, 'opt.onnx')]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(ourLines(r.stderr), []);
});
