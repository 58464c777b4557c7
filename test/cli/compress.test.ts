import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openPolicy } from '../../src/infer/open.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { runCli } from './run-cli.js';
import { DEFAULT_EVAL_SEED } from '../../src/rollout/seeds.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-cli-compress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('quantize --weights-only and fp16 print before/after figures and the agreement, and record what was done', () => {
  const q = join(dir, 'q.onnx');
  const r = runCli(['quantize', 'models/lunarlander-v3-student-64x64/student.onnx', '--weights-only', '--per-channel', '--out', q, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.ok(result.after.bytes < 0.5 * result.before.bytes, JSON.stringify(result.after));
  assert.equal(result.after.macs, result.before.macs);
  assert.ok(result.comparison.agreement >= 0.985);
  assert.ok(referenceCheck(q).ok);
  const f = join(dir, 'f.onnx');
  assert.equal(runCli(['fp16', q, '--out', f]).status, 0);
  const meta = JSON.parse(runCli(['inspect', f, '--json']).stdout).metadata;
  assert.deepEqual(JSON.parse(meta['qdistill.passes']).map((p: { pass: string }) => p.pass), ['quantize-weights', 'fp16']);
  assert.equal(meta['qdistill.env'], 'LunarLander-v3'); // metadata carried over
});

test('the input is never modified, and bad requests are one line with exit code 2', () => {
  const input = join(dir, 'in.onnx');
  copyFileSync('models/cartpole-v1/teacher.onnx', input);
  const before = readFileSync(input);
  for (const args of [
    ['fp16', input, '--out', input],
    ['quantize', input, '--out', join(dir, 'x.onnx')],
    ['quantize', join(dir, 'missing.onnx'), '--weights-only', '--out', join(dir, 'x.onnx')],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.deepEqual(readFileSync(input), before);
});

test('a pass with a known env reports the return before and after on the same seeds as eval', async () => {
  const out = join(dir, 'dyn-reward.onnx');
  const input = 'models/lunarlander-v3-student-64x64/student.onnx';
  const r = runCli(['quantize', input, '--mode', 'dynamic', '--out', out, '--episodes', '5', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const { reward } = JSON.parse(r.stdout);
  for (const [file, figure] of [[input, reward.before], [out, reward.after]] as const) {
    const policy = await openPolicy(file);
    const played = await evaluatePolicy('LunarLander-v3', (o) => policy.act(o), { episodes: 5, seed: DEFAULT_EVAL_SEED });
    await policy.dispose();
    assert.equal(figure.mean, played.mean, file);
    assert.equal(figure.std, played.std, file);
  }
});
