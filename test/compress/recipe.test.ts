// The compress recipe end to end on CartPole (small budget), and the pick rule on hand-made candidates.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pickCandidate, runRecipe, type Candidate } from '../../src/pipelines/compress-recipe.js';
import { openPolicy } from '../../src/infer/open.js';
import { metadataOf } from '../../src/onnx/graph.js';
import { readModelFile } from '../../src/onnx/model.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { DEFAULT_EVAL_SEED } from '../../src/rollout/seeds.js';

const candidate = (name: string, bytes: number, p50Us: number, keeps = true): Candidate => ({
  name, file: `${name}.onnx`, steps: [name], bytes, parameters: 1, macs: 1, reward: { mean: 1, std: 0, episodes: 1 }, ofTeacher: keeps ? 1 : 0, keeps, p50Us, agreementWithParent: null,
});

test('the pick is the smallest file that keeps, unless one close in size is meaningfully faster', () => {
  const teacher = candidate('teacher', 100_000, 20);
  assert.equal(pickCandidate([teacher, candidate('a', 3000, 10), candidate('b', 2000, 10), candidate('tiny-but-bad', 500, 1, false)], 1.1).pick.name, 'b');
  // 5% larger and 30% faster: close in size, so the faster wins and the reason says so.
  const faster = pickCandidate([teacher, candidate('small', 2000, 10), candidate('quick', 2100, 7)], 1.1);
  assert.equal(faster.pick.name, 'quick');
  assert.match(faster.why, /faster/);
  // Faster only by timing jitter (5%): the smaller one stays.
  assert.equal(pickCandidate([teacher, candidate('small', 2000, 10), candidate('same', 2100, 9.5)], 1.1).pick.name, 'small');
  // Faster but 50% larger: not close.
  assert.equal(pickCandidate([teacher, candidate('small', 2000, 10), candidate('big', 3000, 2)], 1.1).pick.name, 'small');
});

test('compress on CartPole keeps ≥ 95% of the teacher gain in a file far smaller than the teacher, and lists its steps', async () => {
  const out = mkdtempSync(join(tmpdir(), 'qdistill-recipe-'));
  const teacherFile = 'models/cartpole-v1/teacher.onnx';
  const result = await runRecipe(teacherFile, {
    keep: 0.95, out, episodes: 10, sizes: [{ hidden: [8], width: 1 }], seed: 1, latencySeconds: 0.05, closeSize: 1.1, studentsToCompress: 1,
    distill: { rounds: 3 }, log: () => {},
  });
  const policyFile = join(out, 'policy.onnx');
  referenceCheck(policyFile);
  const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
  assert.match(card.pick.steps[0], /^distill → 8 \(kl, student collects\)$/);
  assert.deepEqual(card.pick.steps, result.pick.steps);
  assert.ok(result.pick.bytes < 0.02 * readFileSync(teacherFile).length, `${result.pick.bytes} bytes`);
  // Every variant of the student was tried and measured.
  for (const v of ['pruned25', 'pruned50', 'int8-dynamic', 'int8-static', 'int8-weights', 'fp16']) {
    const c = result.candidates.find((x) => x.name === `student 8 + ${v}`);
    assert.ok(c, v);
    assert.equal(c.file, join(out, 'variants', `student-8.${v}.onnx`));
  }
  // Its reward, measured again independently on the same seeds, is what the card says and keeps the share.
  const policy = await openPolicy(policyFile);
  const again = await evaluatePolicy('CartPole-v1', (o) => policy.act(o), { episodes: 10, seed: DEFAULT_EVAL_SEED });
  await policy.dispose();
  assert.equal(again.mean, result.pick.reward.mean);
  assert.ok((again.mean - result.randomReward) / (result.teacher.reward.mean - result.randomReward) >= 0.95);
  assert.deepEqual(JSON.parse(metadataOf(readModelFile(policyFile))['qdistill.card']).steps, result.pick.steps);
});

test('the committed compress picks pass the checker and hold their card: CartPole ≤ 2% of the teacher bytes at ≥ 98% of its return', async () => {
  for (const [env, folder, teacherFile] of [['CartPole-v1', 'cartpole-v1', 'models/cartpole-v1/teacher.onnx'], ['LunarLander-v3', 'lunarlander-v3', 'models/lunarlander-v3/teacher.onnx']]) {
    const file = `models/${folder}-compressed/policy.onnx`;
    referenceCheck(file);
    const card = JSON.parse(readFileSync(`models/${folder}-compressed/card.json`, 'utf8'));
    const policy = await openPolicy(file);
    const played = await evaluatePolicy(env, (o) => policy.act(o), { episodes: 100, seed: DEFAULT_EVAL_SEED });
    await policy.dispose();
    assert.ok(Math.abs(played.mean - card.pick.reward.mean) < 1e-6, `${env}: ${played.mean} vs card ${card.pick.reward.mean}`);
    const share = (played.mean - card.randomReward) / (card.teacher.reward.mean - card.randomReward);
    assert.ok(share >= 0.98, `${env}: ${share}`);
    if (env === 'CartPole-v1') {
      assert.ok(readFileSync(file).length <= 0.02 * readFileSync(teacherFile).length);
      assert.ok(played.mean >= 0.98 * card.teacher.reward.mean);
    }
  }
});

test('when only the teacher keeps the reward, the pick is the teacher and the reason says so', () => {
  const teacher = { ...candidate('teacher', 100_000, 20), steps: [] };
  const only = pickCandidate([teacher, candidate('tiny-but-bad', 500, 1, false)], 1.1);
  assert.equal(only.pick.name, 'teacher');
  assert.match(only.why, /teacher itself/);
});
