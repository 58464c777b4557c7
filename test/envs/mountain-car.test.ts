import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MountainCarEnv } from '../../src/envs/mountain-car.js';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);

// Gymnasium's update: v ← clip(v + (a − 1)·0.001 − 0.0025·cos(3x), ±0.07); x ← clip(x + v, [−1.2, 0.6]).
// From x = −0.5, v = 0, a = 2 (push right): cos(−1.5) = 0.0707372016677029
//   v = 0.001 − 0.0025 · 0.0707372016677029 = 0.000823156995830743,  x = −0.5 + v = −0.499176843004169
test('MountainCar: a push right from rest follows the published update', () => {
  const env = new MountainCarEnv();
  env.reset(0);
  env.state.set([-0.5, 0]);
  const r = env.step(2);
  close(env.state[1], 0.000823156995830743, 1e-15, 'v');
  close(env.state[0], -0.499176843004169, 1e-15, 'x');
  assert.equal(r.observation[0], Math.fround(env.state[0]));
  assert.equal(r.observation[1], Math.fround(env.state[1]));
  assert.equal(r.reward, -1);
  assert.equal(r.terminated, false);
  assert.equal(r.truncated, false);
  // Second step: the position moves by the *new* velocity (semi-implicit Euler).
  const [x1, v1] = [env.state[0], env.state[1]];
  env.step(2);
  const v2 = v1 + 0.001 - 0.0025 * Math.cos(3 * x1);
  close(env.state[1], v2, 1e-15);
  close(env.state[0], x1 + v2, 1e-15);
});

// From x = −0.5, v = 0.01, a = 0 (push left): v = 0.01 − 0.001 − 0.000176843004169257 = 0.008823156995830743
test('MountainCar: a push left subtracts the force, no push leaves only gravity', () => {
  const env = new MountainCarEnv();
  env.reset(0);
  env.state.set([-0.5, 0.01]);
  env.step(0);
  close(env.state[1], 0.008823156995830743, 1e-15);
  close(env.state[0], -0.491176843004169257, 1e-15);
  // x = 0: cos 0 = 1, a = 1 → v = −0.0025 exactly.
  env.state.set([0, 0]);
  env.step(1);
  close(env.state[1], -0.0025, 1e-15);
  close(env.state[0], -0.0025, 1e-15);
});

test('MountainCar: speed is clipped to ±0.07 before it moves the car', () => {
  const env = new MountainCarEnv();
  env.reset(0);
  // x = −0.5, v = 0.0695, a = 2: 0.0695 + 0.001 − 0.000176843 = 0.070323… → 0.07, x = −0.43
  env.state.set([-0.5, 0.0695]);
  env.step(2);
  assert.equal(env.state[1], 0.07);
  close(env.state[0], -0.43, 1e-15);
  // x = 0, v = −0.069, a = 0: −0.069 − 0.001 − 0.0025 = −0.0725 → −0.07, x = −0.07
  env.state.set([0, -0.069]);
  env.step(0);
  assert.equal(env.state[1], -0.07);
  close(env.state[0], -0.07, 1e-15);
});

// x = −1.19, v = −0.05, a = 0: cos(−3.57) = −0.9096285273579445
//   v = −0.05 − 0.001 + 0.0025 · 0.9096285 = −0.048725929, x = −1.238725929 → clipped to −1.2, and v < 0 → v = 0.
test('MountainCar: the left wall stops the car dead', () => {
  const env = new MountainCarEnv();
  env.reset(0);
  env.state.set([-1.19, -0.05]);
  const r = env.step(0);
  assert.equal(env.state[0], -1.2);
  assert.equal(env.state[1], 0);
  assert.equal(r.observation[0], Math.fround(-1.2));
  assert.equal(r.observation[1], 0);
  assert.equal(r.terminated, false);
  // Off the wall, a negative velocity is kept: x = −1.0, v = −0.01 moves left and keeps moving.
  env.state.set([-1.0, -0.01]);
  env.step(1);
  assert.ok(env.state[1] < 0 && env.state[0] > -1.2);
});

// x = 0.49, v = 0.02, a = 1: cos(1.47) = 0.10062573338693173 → v = 0.02 − 0.000251564333467 = 0.019748435666533,
//   x = 0.509748435666533 ≥ 0.5 and v ≥ 0 → terminated, still reward −1.
test('MountainCar: reaching x ≥ 0.5 with v ≥ 0 terminates, with reward −1', () => {
  const env = new MountainCarEnv();
  env.reset(0);
  env.state.set([0.49, 0.02]);
  let r = env.step(1);
  close(env.state[1], 0.019748435666533, 1e-14);
  close(env.state[0], 0.509748435666533, 1e-14);
  assert.equal(r.terminated, true);
  assert.equal(r.truncated, false);
  assert.equal(r.reward, -1);
  // Past the goal but rolling back (x = 0.55, v = −0.001, a = 0: cos(1.65) = −0.0791208888 →
  // v = −0.002 + 0.000197802 = −0.001802198, x = 0.548197802): not terminal because v < 0.
  env.state.set([0.55, -0.001]);
  r = env.step(0);
  close(env.state[1], -0.001802197778, 1e-12);
  close(env.state[0], 0.548197802222, 1e-12);
  assert.equal(r.terminated, false);
  // The right edge clips the position at 0.6 (x = 0.59, v = 0.07, a = 2 → v clipped to 0.07, x = 0.66 → 0.6).
  env.state.set([0.59, 0.07]);
  r = env.step(2);
  assert.equal(env.state[0], 0.6);
  assert.equal(env.state[1], 0.07);
  assert.equal(r.terminated, true);
});

test('MountainCar: starts at x uniform in [−0.6, −0.4) with v = 0, and is truncated at 200 steps', () => {
  const env = new MountainCarEnv();
  let lo = Infinity;
  let hi = -Infinity;
  for (let seed = 0; seed < 200; seed++) {
    const obs = env.reset(seed);
    assert.ok(env.state[0] >= -0.6 && env.state[0] < -0.4);
    assert.equal(env.state[1], 0);
    assert.equal(obs[1], 0);
    lo = Math.min(lo, env.state[0]);
    hi = Math.max(hi, env.state[0]);
  }
  assert.ok(lo < -0.59 && hi > -0.41, 'the whole interval is used');
  env.reset(1);
  let last;
  let steps = 0;
  do {
    env.state.set([-0.5, 0]); // stay in the valley so only the time limit can end it
    last = env.step(steps % 3);
    steps++;
  } while (!last.terminated && !last.truncated);
  assert.equal(steps, 200);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
});

