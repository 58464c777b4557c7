import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { referenceCheck } from '../support/onnx-checker.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-cli-distill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertOneLineError(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('qdistill:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

test('a PyTorch teacher distills through the same command; the student file describes itself and passes the checker', () => {
  const out = join(dir, 'from-torch');
  const r = runCli(['distill', 'models/pytorch/cartpole-v1-mlp.onnx', '--env', 'CartPole-v1', '--student', '16,16', '--rounds', '6', '--final-episodes', '10', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.parameters, 4 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
  assert.ok(summary.reward.mean >= 400, `student return ${summary.reward.mean}`);
  const student = join(out, 'student.onnx');
  assert.ok(referenceCheck(student).ok);
  const inspected = JSON.parse(runCli(['inspect', student, '--json']).stdout);
  assert.equal(inspected.metadata['qdistill.env'], 'CartPole-v1');
  assert.equal(inspected.metadata['qdistill.output'], 'logits');
  const card = JSON.parse(inspected.metadata['qdistill.card']);
  assert.equal(card.kind, 'student');
  assert.match(card.teacher.hash, /^[0-9a-f]{16}$/);
  const evaluated = JSON.parse(runCli(['eval', student, '--episodes', '10', '--json']).stdout);
  assert.equal(evaluated.mean, summary.reward.mean); // same seeds, same greedy student, other runtime
  const header = readFileSync(join(out, 'dataset.qdb')).subarray(12, 400).toString('utf8');
  assert.match(header, /"kind":"qdistill-dataset"/);
});

test('distill bad input: one line, exit 2', () => {
  assertOneLineError(['distill', 'models/cartpole-v1/teacher.onnx', '--student', 'big,small', '--out', join(dir, 'x')], /--student.*positive integers/);
  assertOneLineError(['distill', 'models/cartpole-v1/teacher.onnx', '--env', 'Acrobot-v1', '--student', '8', '--out', join(dir, 'x')], /input 'obs' has shape \[batch, 4\], but Acrobot-v1 observations are \[batch, 6\]/);
  assertOneLineError(['distill', '--student', '8', '--out', join(dir, 'x')], /give a teacher.onnx, or --from-demos FILE/);
  assertOneLineError(['distill', 'models/cartpole-v1/teacher.onnx', '--student', '8', '--loss', 'hinge', '--out', join(dir, 'x')], /--loss.*one of kl, mse, nll, dqn\+kl/);
});

test('record then distill --from-demos: behaviour cloning through the CLI', () => {
  const demos = join(dir, 'demos.qdb');
  const rec = runCli(['record', 'models/cartpole-v1/teacher.onnx', '--episodes', '3', '--out', demos, '--json']);
  assert.equal(rec.status, 0, rec.stderr);
  assert.deepEqual(JSON.parse(rec.stdout).transitions, 1500);
  const r = runCli(['distill', '--from-demos', demos, '--student', '16,16', '--rounds', '4', '--final-episodes', '5', '--out', join(dir, 'bc'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.collect, 'demonstrations');
  assert.equal(summary.loss, 'nll');
  assertOneLineError(['distill', 'models/cartpole-v1/teacher.onnx', '--from-demos', join(dir, 'from-torch', 'dataset.qdb'), '--student', '8', '--out', join(dir, 'y')], /--from-demos and --dataset|expects a file written by `qdistill record`/);
});

test('sweep: labels once, one student per size, a table with parameters, bytes, return, agreement and time', () => {
  const out = join(dir, 'sweep');
  const r = runCli(['sweep', 'models/cartpole-v1/teacher.onnx', '--sizes', '16x16,4', '--rounds', '2', '--steps-per-round', '500', '--gradient-steps', '200', '--final-episodes', '5', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.deepEqual(rows.map((s: { student: string }) => s.student), ['16-16', '4']);
  assert.deepEqual(rows.map((s: { parameters: number }) => s.parameters), [4 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2, 4 * 4 + 4 + 4 * 2 + 2]);
  for (const row of rows) {
    assert.equal(row.collect, 'dataset');
    assert.ok(row.agreement > 0.5 && row.agreement <= 1);
    assert.ok(referenceCheck(join(out, row.student, 'student.onnx')).ok);
  }
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')), rows);
  assert.match(readFileSync(join(out, 'sweep.md'), 'utf8'), /\| ?student|student\s+params/);
  // the labels were written once and hold rounds × steps-per-round states
  assert.match(readFileSync(join(out, 'dataset.qdb')).subarray(12, 500).toString('utf8'), /"count":1000/);
});

test('--no-early-stop spends the whole budget even when the student is already as good as the teacher', () => {
  const args = ['distill', 'models/cartpole-v1/teacher.onnx', '--student', '16,16', '--rounds', '6', '--final-episodes', '3', '--json'];
  const early = JSON.parse(runCli([...args, '--out', join(dir, 'early')]).stdout);
  assert.ok(early.stoppedEarly && early.rounds < 6, JSON.stringify(early));
  const full = JSON.parse(runCli([...args, '--no-early-stop', '--out', join(dir, 'full')]).stdout);
  assert.equal(full.rounds, 6);
  assert.equal(full.stoppedEarly, false);
});
