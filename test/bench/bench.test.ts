import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { benchPolicyFile } from '../../src/benchmark/latency.js';
import { selectRuntimes } from '../../src/benchmark/runtimes.js';
import { batchOf, benchStates } from '../../src/benchmark/states.js';
import { percentiles } from '../../src/util/stats.js';
import { readPolicyBytes, RUNTIME_REGISTRY } from '../../src/infer/open.js';
import { ortOutputs } from '../support/ort-outputs.js';
import { readModelFile } from '../../src/onnx/model.js';
import { runCli } from '../cli/run-cli.js';
import { SLOW_TO_START } from '../../src/infer/runtime-names.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';

test('percentiles are nearest-rank values of the samples', () => {
  // 1..100 shuffled: the p-th percentile by nearest rank is p itself.
  const samples = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  const p = percentiles(samples);
  assert.deepEqual([p.p50, p.p90, p.p99, p.min, p.max, p.mean], [50, 90, 99, 1, 100, 50.5]);
  assert.deepEqual([percentiles([7]).p50, percentiles([7]).p99], [7, 7]);
});

test('bench states are real env states that exercise the network (onnxruntime picks both actions on them)', async () => {
  const states = await benchStates(readPolicyBytes(STUDENT), STUDENT, undefined, 256);
  assert.equal(states.observations.length, 256 * 4);
  const outputs = await ortOutputs(readModelFile(STUDENT), states.observations, [256, 4]);
  const actions = new Set<number>();
  for (let s = 0; s < 256; s++) actions.add(outputs[2 * s + 1] > outputs[2 * s] ? 1 : 0);
  assert.equal(actions.size, 2);
  // Batches larger than the set wrap around to its start.
  const big = batchOf(states, 257);
  assert.deepEqual(big.subarray(256 * 4), states.observations.subarray(0, 4));
});

test('one model on ort-cpu: ordered percentiles, a throughput for every batch size asked, the file size', async () => {
  const states = await benchStates(readPolicyBytes(STUDENT), STUDENT, undefined, 128);
  const steps: string[] = [];
  const r = await benchPolicyFile(STUDENT, 'ort-cpu', { batches: [1, 8, 300], seconds: 0.1, states, onMeasurement: (what) => steps.push(what) });
  assert.equal(r.runtime, 'ort-cpu');
  assert.equal(r.bytes, statSync(STUDENT).size);
  assert.ok(r.coldStartMs > 0);
  assert.ok(r.single.calls >= 10 && r.warmupCalls >= 10);
  assert.ok(r.single.p50Us > 0 && r.single.p50Us <= r.single.p90Us && r.single.p90Us <= r.single.p99Us, JSON.stringify(r.single));
  assert.deepEqual(r.throughput.map((t) => t.batch), [1, 8, 300]);
  for (const t of r.throughput) assert.ok(t.observationsPerSecond > 0 && t.calls >= 3 && t.p50CallMs > 0, JSON.stringify(t));
  assert.ok(r.memory.peakDeltaBytes >= 0 && r.memory.baselineBytes > 0 && r.memory.measured.length > 0);
  assert.equal(r.inEngine, null); // onnxruntime-node has no timer of its own
  assert.deepEqual(steps, ['single', 'batch 1', 'batch 8', 'batch 300']);
});

test('the default selection leaves out slow-to-start runtimes and lists every runtime it does not run', async () => {
  const { runtimes, skipped } = await selectRuntimes(undefined);
  const names = runtimes.map((r) => r.name);
  assert.ok(names.includes('ort-cpu'));
  for (const name of names) assert.ok(!SLOW_TO_START.has(name));
  assert.deepEqual([...names, ...skipped.map((s) => s.name)].sort(), Object.keys(RUNTIME_REGISTRY).sort());
  for (const s of skipped) {
    const reason = await RUNTIME_REGISTRY[s.name].unavailableReason();
    assert.equal(s.reason, reason ?? s.reason, s.name); // an unavailable runtime shows its own reason
    if (!reason) assert.ok(SLOW_TO_START.has(s.name), s.name);
  }
});

test('bench --json: the batch sizes asked, one result per model × runtime', () => {
  const r = runCli(['bench', STUDENT, 'models/pytorch/cartpole-v1-mlp.onnx', '--env', 'CartPole-v1', '--runtime', 'ort-cpu', '--batch', '1,16', '--seconds', '0.05', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const run = JSON.parse(r.stdout);
  assert.deepEqual(run.batches, [1, 16]);
  assert.deepEqual(run.runtimes, ['ort-cpu']);
  assert.deepEqual(run.results.map((x: { file: string }) => x.file), [STUDENT, 'models/pytorch/cartpole-v1-mlp.onnx']);
  for (const x of run.results) assert.deepEqual(x.throughput.map((t: { batch: number }) => t.batch), [1, 16]);
});

test('an unknown or unavailable runtime named explicitly is one line and exit code 2, with the reason', async () => {
  const unknown = runCli(['bench', STUDENT, '--runtime', 'ort-cpu,no-such-runtime', '--seconds', '0.05']);
  assert.equal(unknown.status, 2, unknown.stderr);
  assert.match(unknown.stderr.trim(), /^qdistill: unknown runtime 'no-such-runtime' \(known: .*ort-cpu.*\)$/);
  let unavailable: { name: string; reason: string } | null = null;
  for (const runtime of Object.values(RUNTIME_REGISTRY)) {
    const reason = await runtime.unavailableReason();
    if (reason) {
      unavailable = { name: runtime.name, reason };
      break;
    }
  }
  if (!unavailable) return; // every registered runtime runs on this machine: nothing to refuse
  const r = runCli(['bench', STUDENT, '--runtime', `ort-cpu,${unavailable.name}`, '--seconds', '0.05']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(r.stderr.includes(`'${unavailable.name}'`) && r.stderr.includes(unavailable.reason.split('\n')[0]), r.stderr);
  // With `all` the same runtime is skipped and listed, and the others still run.
  const all = runCli(['bench', STUDENT, '--runtime', 'all', '--batch', '1', '--seconds', '0.05', '--json'], 240_000);
  assert.equal(all.status, 0, all.stderr);
  const run = JSON.parse(all.stdout);
  assert.deepEqual(run.skipped.find((s: { name: string }) => s.name === unavailable!.name), unavailable);
  assert.ok(run.runtimes.includes('ort-cpu'));
});
