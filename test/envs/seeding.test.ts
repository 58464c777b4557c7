import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envIds, makeEnv } from '../../src/envs/registry.js';
import { Rng } from '../../src/envs/rng.js';
import { observationSize } from '../../src/envs/types.js';

function rollout(id: string, seed: number, steps: number): number[] {
  const env = makeEnv(id);
  const actions = new Rng(99);
  const trace: number[] = [...env.reset(seed)];
  for (let i = 0; i < steps; i++) {
    const r = env.step(actions.int(env.spec.actionCount));
    trace.push(...r.observation, r.reward, Number(r.terminated), Number(r.truncated));
    if (r.terminated || r.truncated) trace.push(...env.reset());
  }
  return trace;
}

for (const id of envIds()) {
  test(`${id}: same seed gives the same episode, another seed another`, () => {
    assert.deepEqual(rollout(id, 7, 300), rollout(id, 7, 300));
    assert.notDeepEqual(rollout(id, 7, 300), rollout(id, 8, 300));
  });

  test(`${id}: rejects actions outside the action space`, () => {
    const env = makeEnv(id);
    env.reset(0);
    for (const action of [-1, env.spec.actionCount, 0.5, NaN]) assert.throws(() => env.step(action), RangeError);
  });

  test(`${id}: observations have the spec's shape and are finite`, () => {
    const env = makeEnv(id);
    const first = env.reset(3);
    assert.equal(first.length, observationSize(env.spec));
    const r = env.step(0);
    assert.equal(r.observation.length, observationSize(env.spec));
    assert.ok([...first, ...r.observation].every(Number.isFinite));
  });
}

test('unknown environment ids are rejected with the list of known ones', () => {
  assert.throws(() => makeEnv('Pong-v5'), /unknown environment 'Pong-v5' \(known: CartPole-v1/);
});

test('Rng: uniform in [0,1) with mean 1/2 and variance 1/12; state round-trips', () => {
  const rng = new Rng(5);
  let sum = 0;
  let sumSq = 0;
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean - 0.5) < 0.005);
  assert.ok(Math.abs(sumSq / n - mean * mean - 1 / 12) < 0.002);
  const state = rng.getState();
  const a = [rng.random(), rng.random()];
  rng.setState(state);
  assert.deepEqual([rng.random(), rng.random()], a);
});
