import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcrobotEnv, acrobotDerivatives, bound, rk4Step, wrap } from '../../src/envs/acrobot.js';
import { Rng } from '../../src/envs/rng.js';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);

// Book equations with m1 = m2 = 1, l1 = 1, lc1 = lc2 = 0.5, I1 = I2 = 1, g = 9.8, all at rest, θ1 = θ2 = 0, a = +1:
//   d1 = m1 lc1² + m2 (l1² + lc2² + 2 l1 lc2 cos θ2) + I1 + I2 = 0.25 + 2.25 + 2 = 4.5
//   d2 = m2 (lc2² + l1 lc2 cos θ2) + I2 = 0.25 + 0.5 + 1 = 1.75
//   phi2 = m2 lc2 g cos(θ1 + θ2 − π/2) = 0,  phi1 = (m1 lc1 + m2 l1) g cos(θ1 − π/2) + phi2 = 0 (velocities are 0)
//   ddθ2 = (a + d2/d1 phi1 − m2 l1 lc2 θ̇1² sin θ2 − phi2) / (m2 lc2² + I2 − d2²/d1) = 1 / (1.25 − 49/72) = 72/41
//   ddθ1 = −(d2 ddθ2 + phi1) / d1 = −(1.75 · 72/41) / 4.5 = −28/41
test('Acrobot: derivative at rest with torque +1 follows the book equations', () => {
  const [dt1, dt2, dd1, dd2] = acrobotDerivatives([0, 0, 0, 0], 1);
  close(dt1, 0, 1e-15);
  close(dt2, 0, 1e-15);
  close(dd2, 72 / 41, 1e-12, 'ddθ2');
  close(dd1, -28 / 41, 1e-12, 'ddθ1');
});

// θ1 = 0, θ2 = π/2 (cos θ2 = 0, sin θ2 = 1), θ̇1 = 1, θ̇2 = 0, a = 0:
//   d1 = 0.25 + 1.25 + 2 = 3.5,  d2 = 0.25 + 1 = 1.25
//   phi2 = 0.5 · 9.8 · cos(0) = 4.9,  phi1 = 0 − 0 + 14.7 cos(−π/2) + 4.9 = 4.9
//   ddθ2 = (1.25/3.5 · 4.9 − 0.5 · 1² · 1 − 4.9) / (1.25 − 1.5625/3.5) = (1.75 − 0.5 − 4.9) / (45/56) = −3.65 · 56/45
//   ddθ1 = −(1.25 ddθ2 + 4.9) / 3.5 = 2/9
// (the NIPS variant, which lacks the −0.5 θ̇1² sin θ2 term, would give ddθ2 = −3.15 · 56/45.)
test('Acrobot: derivative with a bent elbow and a swinging first link keeps the book term', () => {
  const [dt1, dt2, dd1, dd2] = acrobotDerivatives([0, Math.PI / 2, 1, 0], 0);
  close(dt1, 1, 1e-15);
  close(dt2, 0, 1e-15);
  close(dd2, (-3.65 * 56) / 45, 1e-12, 'ddθ2');
  close(dd1, 2 / 9, 1e-12, 'ddθ1');
});

// For y' = λy one classical RK4 step multiplies y by 1 + z + z²/2 + z³/6 + z⁴/24 with z = hλ.
// λ = −2, h = 0.1: z = −0.2 → 1 − 0.2 + 0.02 − 0.008/6 + 0.0016/24 = 0.81873333…  (e^−0.2 = 0.8187307…)
test('Acrobot: the integrator is one classical RK4 step', () => {
  const y = rk4Step((v) => [-2 * v[0]], [1], 0.1);
  close(y[0], 1 - 0.2 + 0.02 - 0.008 / 6 + 0.0016 / 24, 1e-14);
});

// Near the hanging equilibrium the book equations linearise (cos θ2 → 1, cos(θ − π/2) = sin θ → θ, products of
// velocities dropped) to y' = A y for y = [θ1, θ2, θ̇1, θ̇2]:
//   d1 = 4.5, d2 = 1.75, phi2 = 4.9 (θ1 + θ2), phi1 = 14.7 θ1 + phi2 = 19.6 θ1 + 4.9 θ2
//   ddθ2 = (d2/d1 phi1 − phi2) · 72/41 = (72/41) ((19.6·7/18 − 4.9) θ1 + (4.9·7/18 − 4.9) θ2)
//   ddθ1 = −(1.75 ddθ2 + 19.6 θ1 + 4.9 θ2) / 4.5
// One RK4 step of a linear system is exactly y1 = (I + hA + (hA)²/2 + (hA)³/6 + (hA)⁴/24) y0. With angles and
// velocities of 1e-3 the dropped terms are of order 1e-9, far below the RK4-vs-anything-else differences (1e-5).
test('Acrobot: one step from a small-angle state matches hand-linearised RK4', () => {
  const a2 = [(72 / 41) * ((19.6 * 7) / 18 - 4.9), (72 / 41) * ((4.9 * 7) / 18 - 4.9)];
  const a1 = [-(1.75 * a2[0] + 19.6) / 4.5, -(1.75 * a2[1] + 4.9) / 4.5];
  const A = [
    [0, 0, 1, 0],
    [0, 0, 0, 1],
    [a1[0], a1[1], 0, 0],
    [a2[0], a2[1], 0, 0],
  ];
  const h = 0.2;
  const y0 = [1e-3, -2e-3, 2e-3, -1e-3];
  const expected = [...y0];
  let term = [...y0];
  for (let k = 1; k <= 4; k++) {
    term = A.map((row) => (h / k) * row.reduce((s, v, j) => s + v * term[j], 0));
    for (let i = 0; i < 4; i++) expected[i] += term[i];
  }
  const env = new AcrobotEnv();
  env.reset(0);
  env.state.set(y0);
  const r = env.step(1); // torque 0
  for (let i = 0; i < 4; i++) close(env.state[i], expected[i], 5e-8, `state[${i}]`);
  close(r.observation[0], Math.cos(expected[0]), 1e-6);
  close(r.observation[1], Math.sin(expected[0]), 1e-6);
  close(r.observation[2], Math.cos(expected[1]), 1e-6);
  close(r.observation[3], Math.sin(expected[1]), 1e-6);
  close(r.observation[4], expected[2], 1e-6);
  close(r.observation[5], expected[3], 1e-6);
  assert.equal(r.reward, -1);
  assert.equal(r.terminated, false);
  assert.equal(r.truncated, false);
});

test('Acrobot: wrap shifts by whole turns into [−π, π], bound clips', () => {
  close(wrap(Math.PI + 0.5, -Math.PI, Math.PI), -Math.PI + 0.5, 1e-15);
  close(wrap(-Math.PI - 0.5, -Math.PI, Math.PI), Math.PI - 0.5, 1e-15);
  close(wrap(5 * Math.PI + 0.25, -Math.PI, Math.PI), -Math.PI + 0.25, 1e-14);
  assert.equal(wrap(1, -Math.PI, Math.PI), 1);
  assert.equal(wrap(Math.PI, -Math.PI, Math.PI), Math.PI); // closed at both ends, like Gymnasium's wrap
  assert.equal(bound(20, -4 * Math.PI, 4 * Math.PI), 4 * Math.PI);
  assert.equal(bound(-40, -9 * Math.PI, 9 * Math.PI), -9 * Math.PI);
  assert.equal(bound(3, -4 * Math.PI, 4 * Math.PI), 3);
});

test('Acrobot: after a step angles lie in [−π, π] and velocities within ±4π, ±9π', () => {
  const env = new AcrobotEnv();
  env.reset(0);
  // θ1 = π + 0.5 is the same configuration as −π + 0.5: the step must agree and come back wrapped.
  env.state.set([Math.PI + 0.5, 0.3, 0, 0]);
  env.step(2);
  const a = Float64Array.from(env.state);
  env.state.set([-Math.PI + 0.5, 0.3, 0, 0]);
  env.step(2);
  for (let i = 0; i < 4; i++) close(env.state[i], a[i], 1e-9, `state[${i}]`);
  assert.ok(a[0] >= -Math.PI && a[0] <= Math.PI);
  assert.ok(a[0] < 0, 'θ1 near π + 0.5 wraps to near −π + 0.5');
  // Start far above the velocity limits: whatever the dynamics do, the result is clipped.
  const rng = new Rng(7);
  for (let i = 0; i < 200; i++) {
    env.state.set([rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-80, 80), rng.uniform(-150, 150)]);
    const r = env.step(rng.int(3));
    const [t1, t2, v1, v2] = env.state;
    assert.ok(t1 >= -Math.PI && t1 <= Math.PI && t2 >= -Math.PI && t2 <= Math.PI);
    assert.ok(Math.abs(v1) <= 4 * Math.PI && Math.abs(v2) <= 9 * Math.PI);
    assert.equal(r.observation[4], Math.fround(v1));
    assert.equal(r.observation[5], Math.fround(v2));
  }
});

test('Acrobot: terminates with reward 0 exactly when −cos θ1 − cos(θ1 + θ2) > 1', () => {
  const env = new AcrobotEnv();
  env.reset(0);
  // Both links straight up (θ1 = π, θ2 = 0) is an equilibrium: height −cos π − cos π = 2 > 1.
  env.state.set([Math.PI, 0, 0, 0]);
  let r = env.step(1);
  assert.equal(r.terminated, true);
  assert.equal(r.reward, 0);
  assert.equal(r.truncated, false);
  // Hanging down: height −2, not terminal, reward −1.
  env.state.set([0, 0, 0, 0]);
  r = env.step(1);
  assert.equal(r.terminated, false);
  assert.equal(r.reward, -1);
  // The predicate is strict: height exactly 1 (θ1 = π/2, θ2 = π/2: 0 − cos π = 1) is not terminal.
  assert.equal(AcrobotEnv.reachedTarget([Math.PI / 2, Math.PI / 2, 0, 0]), false);
  // Raising the first link a little more (θ1 = π/2 + 0.01, θ2 = π/2 − 0.01): sin 0.01 + 1 > 1.
  assert.equal(AcrobotEnv.reachedTarget([Math.PI / 2 + 0.01, Math.PI / 2 - 0.01, 0, 0]), true);
  // Over many states near the top, termination always matches the height computed from the new state.
  const rng = new Rng(3);
  let seen = 0;
  for (let i = 0; i < 300; i++) {
    env.state.set([rng.uniform(1.5, 3.1), rng.uniform(-1, 1), rng.uniform(-2, 2), rng.uniform(-2, 2)]);
    r = env.step(rng.int(3));
    const [t1, t2] = env.state;
    const high = -Math.cos(t1) - Math.cos(t1 + t2) > 1;
    assert.equal(r.terminated, high);
    assert.equal(r.reward, high ? 0 : -1);
    if (high) seen++;
  }
  assert.ok(seen > 10 && seen < 290, `both outcomes occur (${seen} terminal)`);
});

test('Acrobot: starts uniform in (−0.1, 0.1) and is truncated at 500 steps', () => {
  const env = new AcrobotEnv();
  for (let seed = 0; seed < 50; seed++) {
    const obs = env.reset(seed);
    for (const v of env.state) assert.ok(v >= -0.1 && v <= 0.1);
    close(obs[0], Math.cos(env.state[0]), 1e-7);
    close(obs[1], Math.sin(env.state[0]), 1e-7);
    close(obs[2], Math.cos(env.state[1]), 1e-7);
    close(obs[3], Math.sin(env.state[1]), 1e-7);
    assert.equal(obs[4], env.state[2]); // float32-valued start state, as Gymnasium stores it
    assert.equal(obs[5], env.state[3]);
  }
  env.reset(1);
  let last;
  let steps = 0;
  do {
    env.state.set([0, 0, 0, 0]); // keep it hanging so only the time limit can end it
    last = env.step(steps % 3);
    steps++;
  } while (!last.terminated && !last.truncated);
  assert.equal(steps, 500);
  assert.equal(last.truncated, true);
  assert.equal(last.terminated, false);
});

