import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CartPoleEnv } from '../../src/envs/cartpole.js';

// Hand-worked from Gymnasium's equations with F = +10, state at rest:
//   temp = F / (mc + mp) = 100/11
//   thetaAcc = (g sinθ − cosθ temp) / (l (4/3 − mp cos²θ / (mc+mp))) = −(100/11) / (41/66) = −600/41
//   xAcc = temp − mp l thetaAcc cosθ / (mc+mp) = 100/11 + 300/451 = 4400/451
// Euler: x' = x + τ ẋ, ẋ' = ẋ + τ xAcc, θ' = θ + τ θ̇, θ̇' = θ̇ + τ thetaAcc.
test('CartPole: one push right from rest follows the published equations', () => {
  const env = new CartPoleEnv();
  env.reset(0);
  env.state.set([0, 0, 0, 0]);
  const r = env.step(1);
  assert.ok(Math.abs(r.observation[0] - 0) < 1e-7);
  assert.ok(Math.abs(r.observation[1] - 0.02 * (4400 / 451)) < 1e-6);
  assert.ok(Math.abs(r.observation[2] - 0) < 1e-7);
  assert.ok(Math.abs(r.observation[3] - 0.02 * (-600 / 41)) < 1e-6);
  assert.equal(r.reward, 1);
  assert.equal(r.terminated, false);
  assert.equal(r.truncated, false);
});

test('CartPole: the position integrates the old velocity (explicit Euler)', () => {
  const env = new CartPoleEnv();
  env.reset(0);
  env.state.set([0.1, 1.0, 0, 0]);
  const r = env.step(0);
  assert.ok(Math.abs(r.observation[0] - (0.1 + 0.02 * 1.0)) < 1e-6);
});

test('CartPole: terminates past 12 degrees and past 2.4 m, with reward 1 on the last step', () => {
  const env = new CartPoleEnv();
  env.reset(0);
  const twelveDegrees = (12 * 2 * Math.PI) / 360;
  env.state.set([0, 0, twelveDegrees - 1e-4, 1.0]); // θ' = θ + 0.02 > 12°
  const r = env.step(1);
  assert.equal(r.terminated, true);
  assert.equal(r.reward, 1);
  env.reset(0);
  env.state.set([2.39, 1.0, 0, 0]); // x' = 2.41
  assert.equal(env.step(1).terminated, true);
});

test('CartPole: starts uniform in (-0.05, 0.05) and is truncated at 500 steps', () => {
  const env = new CartPoleEnv();
  for (let seed = 0; seed < 50; seed++) {
    for (const v of env.reset(seed)) assert.ok(v > -0.05 && v < 0.05);
  }
  env.reset(1);
  let last;
  let steps = 0;
  do {
    env.state.set([0, 0, 0, 0]); // keep it balanced so only the time limit can end it
    last = env.step(steps % 2);
    steps++;
  } while (!last.terminated && !last.truncated);
  assert.equal(steps, 500);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
});

test('CartPole: rejects an action outside the action space', () => {
  const env = new CartPoleEnv();
  env.reset(0);
  assert.throws(() => env.step(2), /action 2/);
});
