// On a machine with a GPU: which GPU runtimes start, whether their outputs equal ort-cpu's on states the
// policies visit, their latency next to ort-cpu's in the same run, and the tfjs webgpu training step next
// to cpu. Prints JSON. Usage: node --import tsx bench/gpu-check.ts [--training-only] [model.onnx...]
import { readFileSync } from 'node:fs';
import { benchPolicyFile } from '../src/benchmark/latency.js';
import { benchStates } from '../src/benchmark/states.js';
import { openPolicy, RUNTIME_REGISTRY } from '../src/infer/open.js';
import { presetFor } from '../src/rl/presets.js';
import { makeTrainingProbe } from '../src/rl/probe.js';
import { activateBackend, quietTfjs } from '../src/tfjs/backends.js';
import { timeGradientStep } from '../src/tfjs/choose-backend.js';
import { machineDescription } from '../src/util/machine.js';
import { visitedStates } from '../src/rollout/visited-states.js';
import { actionAgreement } from '../src/policy/agreement.js';

const args = process.argv.slice(2).filter((a) => a !== '--training-only');
const files = process.argv.includes('--training-only')
  ? []
  : args.length
  ? args
  : ['models/cartpole-v1-student-16x16/student.onnx', 'models/cartpole-v1/teacher.onnx', 'models/lunarlander-v3-student-64x64/student.onnx', 'models/minatar-breakout/teacher.onnx'];
const log = (line: string) => process.stderr.write(`${line}\n`);

const availability: Record<string, string | null> = {};
for (const runtime of Object.values(RUNTIME_REGISTRY)) availability[runtime.name] = await runtime.unavailableReason();
log(JSON.stringify(availability));
const gpuRuntimes = ['ort-webgpu', 'ort-cuda'].filter((name) => availability[name] === null);

const models = [];
for (const file of files) {
  const reference = await openPolicy(file, { runtime: 'ort-cpu' });
  const { observations } = await visitedStates(reference, 1000, 31337);
  const expected = await reference.qValues(observations, 1000);
  await reference.dispose();
  const row: Record<string, unknown> = { file, bytes: readFileSync(file).length };
  for (const runtime of gpuRuntimes) {
    const policy = await openPolicy(file, { runtime });
    const got = await policy.qValues(observations, 1000);
    let maxAbs = 0;
    for (let i = 0; i < got.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i] - expected[i]));
    row[`${runtime}_vs_ort_cpu`] = { states: 1000, maxAbsError: maxAbs, agreement: actionAgreement(expected, got, policy.spec.actionCount) };
    await policy.dispose();
  }
  const states = await benchStates(readFileSync(file), file, undefined);
  row.latency = [];
  for (const runtime of ['ort-cpu', ...gpuRuntimes]) {
    const r = await benchPolicyFile(file, runtime, { batches: [1, 32, 1024], seconds: 1, states });
    (row.latency as unknown[]).push({ runtime, coldStartMs: r.coldStartMs, single: r.single, throughput: r.throughput.map((t) => ({ batch: t.batch, observationsPerSecond: t.observationsPerSecond })) });
  }
  log(`${file} done`);
  models.push(row);
}

// tfjs: one DQN gradient step (Adam, the preset's batch) of the teacher networks, cpu vs webgpu.
quietTfjs();
const training = [];
for (const [envId, batchSize] of [['CartPole-v1', 64], ['MinAtar/Breakout', 32], ['MinAtar/Breakout', 512]] as const) {
  const probe = makeTrainingProbe(envId, { ...presetFor(envId), batchSize }, 1);
  const row: Record<string, unknown> = { env: envId, batchSize };
  for (const backend of ['cpu', 'webgpu'] as const) {
    try {
      await activateBackend(backend);
      const times = [await timeGradientStep(probe), await timeGradientStep(probe), await timeGradientStep(probe)].sort((a, b) => a - b);
      row[`${backend}_ms`] = times[1];
    } catch (error) {
      row[`${backend}_error`] = (error as Error).message;
    }
  }
  training.push(row);
  log(`${envId} training step done`);
}
process.stdout.write(JSON.stringify({ machine: machineDescription(), availability, models, training }, null, 2) + '\n');
