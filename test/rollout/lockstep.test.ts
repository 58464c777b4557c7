// Episodes played side by side give the same returns and lengths as the same episodes played one by one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateLockstep } from '../../src/rollout/lockstep.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';

// Deterministic hand-written policies: push toward the pole's lean (CartPole); push along the velocity (MountainCar).
const cases = [
  { env: 'CartPole-v1', act: (o: Float32Array, at = 0) => (o[at + 2] + 0.3 * o[at + 3] > 0 ? 1 : 0), size: 4 },
  { env: 'MountainCar-v0', act: (o: Float32Array, at = 0) => (o[at + 1] >= 0 ? 2 : 0), size: 2 },
];
for (const c of cases) {
  test(`${c.env}: lockstep evaluation equals one-by-one evaluation, episode by episode`, async () => {
    const options = { episodes: 25, seed: 123 };
    const one = await evaluatePolicy(c.env, (o) => c.act(o), options);
    let calls = 0;
    const all = await evaluateLockstep(c.env, (o, count) => {
      calls++;
      return Array.from({ length: count }, (_, i) => c.act(o, i * c.size));
    }, options);
    assert.deepEqual(all.returns, one.returns);
    assert.deepEqual(all.lengths, one.lengths);
    assert.equal(all.mean, one.mean);
    // One batched call per step of the longest episode.
    assert.equal(calls, Math.max(...one.lengths));
  });
}
