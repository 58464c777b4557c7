import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli, startCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('every command has --help with an example', () => {
  for (const command of [[], ['envs'], ['train'], ['eval'], ['distill'], ['sweep'], ['record'], ['inspect'], ['export'], ['export', 'onnx'], ['optimize'], ['fp16'], ['prune'], ['quantize'], ['demo']]) {
    const r = runCli([...command, '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: qdistill/);
    assert.match(r.stdout, /Example:\n {2}qdistill /);
  }
});

test('envs --json lists every environment with its spec', () => {
  const r = runCli(['envs', '--json']);
  assert.equal(r.status, 0);
  const specs = JSON.parse(r.stdout);
  assert.deepEqual(specs.map((s: { id: string }) => s.id), ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0', 'LunarLander-v3', 'MinAtar/Breakout']);
  const breakout = specs.find((s: { id: string }) => s.id === 'MinAtar/Breakout');
  assert.deepEqual(breakout.observationShape, [10, 10, 4]);
  assert.equal(breakout.observationLayout, 'hwc');
});

test('eval --json plays the committed CartPole teacher: per-episode returns, all at the 500-step limit', () => {
  const r = runCli(['eval', 'models/cartpole-v1', '--episodes', '5', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.env, 'CartPole-v1'); // taken from the model card
  assert.equal(result.returns.length, 5);
  assert.deepEqual(result.returns, [500, 500, 500, 500, 500]);
  assert.equal(result.std, 0);
});

test('train writes a model and a card that records how it was made', () => {
  const out = join(dir, 'small');
  const r = runCli(['train', 'CartPole-v1', '--out', out, '--steps', '1500', '--net-arch', '16', '--eval-episodes', '3', '--backend', 'wasm', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const printed = JSON.parse(r.stdout);
  const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
  assert.equal(card.env, 'CartPole-v1');
  assert.equal(card.steps, 1500);
  assert.equal(card.backend, 'wasm');
  assert.equal(card.parameters, 4 * 16 + 16 + 16 * 2 + 2);
  assert.deepEqual(card.config.netArch, [16]);
  assert.equal(card.evalReward.episodes, 3);
  assert.match(card.command, /^qdistill train CartPole-v1 --out \S+ --steps 1500 --net-arch 16/);
  assert.equal(printed.evalReward.mean, card.evalReward.mean);
  assert.ok(existsSync(join(out, 'model.json')));
  const evaluated = JSON.parse(runCli(['eval', out, '--episodes', '3', '--json']).stdout);
  assert.deepEqual(evaluated.returns, printed.evalReturns); // same seeds, same greedy policy
});

test('kill -9 during training, then --resume: continues from the last checkpoint', async () => {
  const out = join(dir, 'killed');
  const args = ['train', 'CartPole-v1', '--out', out, '--steps', '6000', '--net-arch', '32,32', '--checkpoint-interval', '1000', '--eval-episodes', '2', '--backend', 'wasm', '--json'];
  const child = startCli(args);
  const checkpoint = join(out, 'checkpoint.qdb');
  while (!existsSync(checkpoint) && child.exitCode === null) await sleep(20);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(child.signalCode, 'SIGKILL', 'the run finished before it could be killed');
  assert.ok(!existsSync(join(out, 'card.json')));
  const r = runCli([...args, '--resume']);
  assert.equal(r.status, 0, r.stderr);
  const card = JSON.parse(r.stdout);
  assert.ok(card.resumedFromStep >= 1000 && card.resumedFromStep < 6000, `resumed from ${card.resumedFromStep}`);
  assert.equal(card.steps, 6000);
});

test('demo (npm start): distills, quantizes, evaluates and benchmarks on every runtime named, the browser included, and writes the report', () => {
  const out = join(dir, 'demo');
  const r = runCli(['demo', '--out', out, '--json', '--episodes', '20', '--seconds', '0.05', '--runtime', 'ort-cpu,js,ort-wasm,browser'], 300_000);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.models.map((m: { role: string }) => m.role), ['teacher', 'student', 'student', 'student']);
  const [teacher, student, dynamic, quantized] = report.models;
  assert.equal(teacher.reward.mean, 500);
  assert.equal(student.parameters, 386);
  for (const m of [student, dynamic, quantized]) assert.ok(m.reward.mean >= 475, `${m.file}: return ${m.reward.mean}`);
  assert.match(dynamic.file, /int8-dynamic/);
  assert.match(quantized.file, /int8-static/);
  // Every model was timed on every runtime that can run it; js runs the static int8 file and declines the
  // dynamic one (onnxruntime quantizes a batch with one scale, the compiled code each observation alone).
  for (const m of report.models) {
    for (const runtime of ['ort-cpu', 'ort-wasm', 'browser']) {
      const result = report.latency.results.find((x: { file: string; runtime: string }) => x.file === m.file && x.runtime === runtime);
      assert.ok(result && result.single.p50Us > 0, `${m.file} on ${runtime}`);
    }
  }
  assert.ok(report.latency.results.some((x: { file: string; runtime: string }) => x.file === student.file && x.runtime === 'js'));
  assert.ok(report.latency.results.some((x: { file: string; runtime: string }) => x.file === quantized.file && x.runtime === 'js'));
  assert.deepEqual(report.latency.unsupported.map((u: { runtime: string; file: string }) => [u.runtime, u.file]), [['js', dynamic.file]]);
  for (const file of ['student/student.onnx', 'report.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, file)), file);
});
