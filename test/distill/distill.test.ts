import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { teacherShareFor } from '../../src/distill/collect.js';
import { readDataset, writeDataset } from '../../src/policy/dataset.js';
import { DistillMemory } from '../../src/distill/memory.js';
import { distillStudent } from '../../src/distill/student.js';
import { openPolicy } from '../../src/infer/open.js';
import { makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { writeModelFile } from '../../src/onnx/model.js';
import { DataType, float32Tensor } from '../../src/onnx/tensor.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { greedyAction } from '../../src/tfjs/greedy.js';
import { UsageError } from '../../src/util/errors.js';
import { DEFAULT_DISTILL, type DistillConfig } from '../../src/distill/config.js';
import { playStopEpisodes, stopRule } from '../../src/distill/stopping.js';
import { DEFAULT_STOP_SEED } from '../../src/rollout/seeds.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-distill-'));
before(async () => {
  quietTfjs();
  await activateBackend('wasm');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const small: DistillConfig = { ...DEFAULT_DISTILL, hidden: [16, 16], convFilters: 0, rounds: 2, stepsPerRound: 500, gradientStepsPerRound: 100, evalEpisodes: 2 };

test('who collects: the teacher always; the student after a first teacher round (DAgger); mixed hands over linearly', () => {
  assert.deepEqual([0, 1, 2, 3].map((r) => teacherShareFor('teacher', r, 4)), [1, 1, 1, 1]);
  assert.deepEqual([0, 1, 2, 3].map((r) => teacherShareFor('student', r, 4)), [1, 0, 0, 0]);
  [1, 2 / 3, 1 / 3, 0].forEach((share, r) => assert.ok(Math.abs(teacherShareFor('mixed', r, 4) - share) < 1e-12));
});

test('same seed → same student (identical weights); another seed → another student', async () => {
  const teacher = await openPolicy('models/cartpole-v1/teacher.onnx');
  const weights = async (seed: number) => {
    const { student } = await distillStudent({ envId: 'CartPole-v1', teacher, stop: null, config: { ...small, seed } });
    return student.getWeights().flatMap((w) => [...w.dataSync()]);
  };
  const a = await weights(3);
  assert.deepEqual(await weights(3), a);
  assert.notDeepEqual(await weights(4), a);
  await teacher.dispose();
});

// Rounds each loss needs here: MSE on raw Q-values (up to ~350 for this teacher) learns the action ranking
// slowly; dqn+kl is shown with λ = 1 — with the default λ = 0.2 the TD term dominates on CartPole and the
// student did not learn within 30 rounds (see the closing note of the distillation issue).
const lossCases = [
  { loss: 'kl', rounds: 8, lambda: 0.2 },
  { loss: 'nll', rounds: 8, lambda: 0.2 },
  { loss: 'mse', rounds: 30, lambda: 0.2 },
  { loss: 'dqn+kl', rounds: 8, lambda: 1 },
] as const;
for (const { loss, rounds, lambda } of lossCases) {
  test(`${loss}: a 16-16 student of the CartPole teacher learns to balance (greedy return over 20 episodes)`, async () => {
    const teacher = await openPolicy('models/cartpole-v1/teacher.onnx');
    // The paired stop rule against the teacher on 20 episodes (a random policy's 22 steps as the 0 of the margin).
    const config: DistillConfig = { ...DEFAULT_DISTILL, hidden: [16, 16], convFilters: 0, loss, rounds, lambda, evalEpisodes: 20 };
    const stop = stopRule(await playStopEpisodes(teacher, 20), 22, { seed: DEFAULT_STOP_SEED, marginShare: 0.05, confidence: 0.95, rounds });
    const result = await distillStudent({ envId: 'CartPole-v1', teacher, stop, config });
    const evaluation = await evaluatePolicy('CartPole-v1', (o) => greedyAction(result.student, o, [4]), { episodes: 20, seed: 77 });
    // A random policy lasts about 22 steps; the teacher 500.
    assert.ok(evaluation.mean >= 400, `${loss}: ${evaluation.mean} after ${result.rounds.length} rounds`);
    await teacher.dispose();
  });
}

test('behaviour cloning from recorded demonstrations (no teacher outputs)', async () => {
  const teacher = await openPolicy('models/cartpole-v1/teacher.onnx');
  const demos = new DistillMemory(2000, 4, 2, false);
  const { CartPoleEnv } = await import('../../src/envs/cartpole.js');
  const env = new CartPoleEnv();
  for (let episode = 0; demos.size < 2000; episode++) {
    let o = env.reset(episode);
    for (let done = false; !done && demos.size < 2000; ) {
      const a = await teacher.act(o);
      const r = env.step(a);
      demos.add(o, a, r.reward, r.observation, r.terminated, new Float32Array(0));
      o = r.observation;
      done = r.terminated || r.truncated;
    }
  }
  const path = join(dir, 'demos.qdb');
  writeDataset(path, demos.toDataset({ env: 'CartPole-v1', observationShape: [4], actionCount: 2, teacherHash: 'x', targets: 'none', source: 'demonstrations' }));
  const loaded = DistillMemory.fromDataset(readDataset(path));
  assert.equal(loaded.labelled, false);
  const result = await distillStudent({ envId: 'CartPole-v1', stop: null, dataset: loaded, config: { ...small, loss: 'nll', rounds: 4, gradientStepsPerRound: 500, evalEpisodes: 3 } });
  const evaluation = await evaluatePolicy('CartPole-v1', (o) => greedyAction(result.student, o, [4]), { episodes: 10, seed: 5 });
  assert.ok(evaluation.mean >= 400, `behaviour cloning reached ${evaluation.mean}`);
  await teacher.dispose();
});

test('a teacher whose outputs are NaN is refused with one clear message', async () => {
  // q = sqrt(Gemm(obs) − 1000): the square root of a negative number
  const model = makeModel({
    graph: {
      name: 'nan-teacher',
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      initializer: [float32Tensor('w', [4, 2], new Float32Array(8).fill(0.1)), float32Tensor('b', [2], [0, 0]), float32Tensor('offset', [], [1000])],
      node: [makeNode('Gemm', ['obs', 'w', 'b'], ['g'], 'gemm'), makeNode('Sub', ['g', 'offset'], ['s'], 'sub'), makeNode('Sqrt', ['s'], ['q_values'], 'sqrt')],
    },
    metadata: { 'qdistill.env': 'CartPole-v1' },
  });
  const path = join(dir, 'nan.onnx');
  writeModelFile(path, model);
  const teacher = await openPolicy(path);
  await assert.rejects(distillStudent({ envId: 'CartPole-v1', teacher, stop: null, config: small }), (e: Error) => e instanceof UsageError && /NaN or infinite/.test(e.message));
  await teacher.dispose();
});

test('dataset files: what is written reads back; wrong sizes and empty datasets are clear errors', () => {
  const memory = new DistillMemory(10, 4, 2);
  for (let i = 0; i < 7; i++) memory.add(Float32Array.from([i, i, i, i]), i % 2, 1, Float32Array.from([i + 1, 0, 0, 0]), i === 6, Float32Array.from([i, -i]));
  const path = join(dir, 'd.qdb');
  writeDataset(path, memory.toDataset({ env: 'CartPole-v1', observationShape: [4], actionCount: 2, teacherHash: 'abc', targets: 'q_values', source: 'teacher' }));
  const d = readDataset(path);
  assert.equal(d.header.count, 7);
  assert.deepEqual([...d.targets.subarray(12, 14)], [6, -6]);
  assert.deepEqual([...d.terminals], [0, 0, 0, 0, 0, 0, 1]);
  writeDataset(path, { ...d, actions: d.actions.subarray(0, 5) });
  assert.throws(() => readDataset(path), /'actions' holds 5 values, expected 7/);
  writeDataset(path, new DistillMemory(3, 4, 2).toDataset({ env: 'CartPole-v1', observationShape: [4], actionCount: 2, teacherHash: 'abc', targets: 'q_values', source: 'teacher' }));
  assert.throws(() => readDataset(path), /the dataset is empty/);
});
