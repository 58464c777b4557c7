import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Body, RevoluteJoint } from 'planck';
import { AcrobotEnv } from '../../src/envs/acrobot.js';
import { CartPoleEnv } from '../../src/envs/cartpole.js';
import { LunarLanderEnv } from '../../src/envs/lunar-lander.js';
import { MinAtarBreakoutEnv } from '../../src/envs/minatar-breakout.js';
import { MountainCarEnv } from '../../src/envs/mountain-car.js';
import type { Env, StepResult } from '../../src/envs/types.js';

// Expected values here come from Gymnasium's published rules, not from our envs' output:
//
//  - TimeLimit (gymnasium/wrappers/common.py): after the inner step, `truncated = True` once the elapsed step
//    count reaches max_episode_steps. `terminated` is left alone, so the last allowed step can report both.
//  - Termination: CartPole |x| > 2.4 or |θ| > 12° after an Euler step (x += τ·ẋ, θ += τ·θ̇, τ = 0.02);
//    MountainCar position ≥ 0.5 and velocity ≥ 0 after v += (a − 1)·0.001 − 0.0025·cos(3p) (clipped to
//    ±0.07), p += v (clipped to [−1.2, 0.6]); Acrobot −cos θ1 − cos(θ1 + θ2) > 1 (reward 0 on that step);
//    LunarLander lander touched the ground or |x'| ≥ 1 (reward −100); MinAtar Breakout ball past the paddle.
//  - LunarLander legs (gymnasium/envs/box2d/lunar_lander.py): leg i ∈ {−1, +1} is created at angle i·0.05, the
//    lander at 0; its revolute joint has limits [0.4, 0.9] for i = −1 and [−0.9, −0.4] for i = +1, motor speed
//    0.3·i, and no referenceAngle given, for which pybox2d's b2RevoluteJointDef takes bodyB.angle − bodyA.angle.

/** Plays max − 1 steps, calling `hold` before each so the episode cannot end; each must end with neither flag. */
function playToLastStep(env: Env, seed: number, hold: () => void, act: (t: number) => number = (t) => t % 2): void {
  env.reset(seed);
  for (let t = 1; t < env.spec.maxEpisodeSteps; t++) {
    hold();
    const r = env.step(act(t));
    assert.equal(r.terminated, false, `step ${t} terminated`);
    assert.equal(r.truncated, false, `step ${t} truncated before the limit`);
  }
}

function flags(r: StepResult): { terminated: boolean; truncated: boolean } {
  return { terminated: r.terminated, truncated: r.truncated };
}

// ---------------------------------------------------------------- CartPole-v1 (limit 500)

const CARTPOLE_TAU = 0.02;
const CARTPOLE_X_LIMIT = 2.4;
const CARTPOLE_THETA_LIMIT = (12 * 2 * Math.PI) / 360;
/** Gymnasium's rule for the next state's x and θ (the Euler step uses the old velocities). */
function cartPoleTerminates(s: readonly number[]): boolean {
  const x = s[0] + CARTPOLE_TAU * s[1];
  const theta = s[2] + CARTPOLE_TAU * s[3];
  return Math.abs(x) > CARTPOLE_X_LIMIT || Math.abs(theta) > CARTPOLE_THETA_LIMIT;
}

test('CartPole: a termination on step 500 is terminated and truncated; a quiet step 500 only truncated', () => {
  const env = new CartPoleEnv();
  assert.equal(env.spec.maxEpisodeSteps, 500);
  const balanced = [0, 0, 0, 0];
  // Past the cart limit (2.39 + 0.02·1 = 2.41), and past the angle limit (0.2 + 0.02·0.5 = 0.21 > 0.2094).
  const ending = [
    [2.39, 1, 0, 0],
    [0, 0, 0.2, 0.5],
    [-2.39, -1, 0, 0],
  ];
  ending.forEach((state, k) => {
    assert.equal(cartPoleTerminates(state), true);
    playToLastStep(env, k, () => env.state.set(balanced));
    env.state.set(state);
    assert.deepEqual(flags(env.step(1)), { terminated: true, truncated: true }, `seed ${k}, state ${state}`);
  });
  for (const seed of [0, 1, 2]) {
    assert.equal(cartPoleTerminates(balanced), false);
    playToLastStep(env, seed, () => env.state.set(balanced));
    env.state.set(balanced);
    const r = env.step(0);
    assert.deepEqual(flags(r), { terminated: false, truncated: true });
    assert.equal(r.reward, 1);
  }
});

test('CartPole: a termination before the limit is not truncated', () => {
  const env = new CartPoleEnv();
  for (const at of [1, 10, 499]) {
    env.reset(3);
    for (let t = 1; t < at; t++) {
      env.state.set([0, 0, 0, 0]);
      env.step(t % 2);
    }
    env.state.set([2.39, 1, 0, 0]);
    assert.deepEqual(flags(env.step(1)), { terminated: true, truncated: false }, `terminating step ${at}`);
  }
});

// ---------------------------------------------------------------- MountainCar-v0 (limit 200)

/** Gymnasium's MountainCar step for (position, velocity) and an action, in float64. */
function mountainCarStep(p: number, v: number, action: number): { p: number; v: number; terminated: boolean } {
  v += (action - 1) * 0.001 + Math.cos(3 * p) * -0.0025;
  v = Math.min(Math.max(v, -0.07), 0.07);
  p += v;
  p = Math.min(Math.max(p, -1.2), 0.6);
  if (p === -1.2 && v < 0) v = 0;
  return { p, v, terminated: p >= 0.5 && v >= 0 };
}

test('MountainCar: reaching the flag on step 200 is terminated and truncated; the valley on step 200 only truncated', () => {
  const env = new MountainCarEnv();
  assert.equal(env.spec.maxEpisodeSteps, 200);
  const valley = [-0.5, 0];
  // Just short of the flag, moving right; and a car that the position clip stops at 0.6.
  const ending: Array<[number, number, number]> = [
    [0.49, 0.02, 2],
    [0.495, 0.01, 1],
    [0.59, 0.05, 0],
  ];
  ending.forEach(([p, v, action], k) => {
    const expected = mountainCarStep(p, v, action);
    assert.equal(expected.terminated, true, `${p}, ${v} should reach the flag by Gymnasium's rule`);
    playToLastStep(env, k, () => env.state.set(valley), (t) => t % 3);
    env.state.set([p, v]);
    const r = env.step(action);
    assert.deepEqual(flags(r), { terminated: true, truncated: true }, `seed ${k}, state ${p}, ${v}`);
    assert.equal(r.reward, -1);
    assert.deepEqual(Array.from(r.observation), [Math.fround(expected.p), Math.fround(expected.v)]);
  });
  for (const seed of [0, 1, 2]) {
    assert.equal(mountainCarStep(valley[0], valley[1], 1).terminated, false);
    playToLastStep(env, seed, () => env.state.set(valley), (t) => t % 3);
    env.state.set(valley);
    assert.deepEqual(flags(env.step(1)), { terminated: false, truncated: true });
  }
  // A state just short of the rule (velocity not enough to reach 0.5) is not a termination.
  assert.equal(mountainCarStep(0.45, 0.02, 1).terminated, false);
  playToLastStep(env, 7, () => env.state.set(valley), (t) => t % 3);
  env.state.set([0.45, 0.02]);
  assert.deepEqual(flags(env.step(1)), { terminated: false, truncated: true });
});

test('MountainCar: reaching the flag before the limit is not truncated', () => {
  const env = new MountainCarEnv();
  for (const at of [1, 50, 199]) {
    env.reset(4);
    for (let t = 1; t < at; t++) {
      env.state.set([-0.5, 0]);
      env.step(1);
    }
    env.state.set([0.49, 0.02]);
    assert.deepEqual(flags(env.step(2)), { terminated: true, truncated: false }, `terminating step ${at}`);
  }
});

// ---------------------------------------------------------------- Acrobot-v1 (limit 500)

/** Gymnasium's Acrobot termination: the free end is higher than one link above the pivot. */
function acrobotHeight(s: ArrayLike<number>): number {
  return -Math.cos(s[0]) - Math.cos(s[1] + s[0]);
}

test('Acrobot: reaching the target height on step 500 is terminated and truncated, with reward 0', () => {
  const env = new AcrobotEnv();
  assert.equal(env.spec.maxEpisodeSteps, 500);
  const hanging = [0, 0, 0, 0];
  // At rest near the top: the chain is upright (height 2) or bent but well above 1; a 0.2 s step from rest
  // cannot bring the end down by the margin.
  const ending = [
    [Math.PI, 0, 0, 0],
    [2.8, 0.2, 0, 0],
    [-2.9, -0.1, 0, 0],
  ];
  ending.forEach((state, k) => {
    assert.ok(acrobotHeight(state) > 1.8, `start height ${acrobotHeight(state)}`);
    playToLastStep(env, k, () => env.state.set(hanging), (t) => t % 3);
    env.state.set(state);
    const r = env.step(1);
    // Apply Gymnasium's rule to the state the step reached (θ are the wrapped angles; cos/sin are observed).
    assert.ok(acrobotHeight(env.state) > 1, `end height ${acrobotHeight(env.state)}`);
    close(-r.observation[0] - (r.observation[0] * r.observation[2] - r.observation[1] * r.observation[3]), acrobotHeight(env.state), 1e-6);
    assert.deepEqual(flags(r), { terminated: true, truncated: true }, `seed ${k}, state ${state}`);
    assert.equal(r.reward, 0);
  });
  for (const seed of [0, 1, 2]) {
    playToLastStep(env, seed, () => env.state.set(hanging), (t) => t % 3);
    env.state.set(hanging);
    const r = env.step(1);
    assert.ok(acrobotHeight(env.state) <= 1);
    assert.deepEqual(flags(r), { terminated: false, truncated: true });
    assert.equal(r.reward, -1);
  }
});

test('Acrobot: reaching the target height before the limit is not truncated', () => {
  const env = new AcrobotEnv();
  for (const at of [1, 100, 499]) {
    env.reset(5);
    for (let t = 1; t < at; t++) {
      env.state.set([0, 0, 0, 0]);
      env.step(t % 3);
    }
    env.state.set([Math.PI, 0, 0, 0]);
    const r = env.step(1);
    assert.deepEqual(flags(r), { terminated: true, truncated: false }, `terminating step ${at}`);
    assert.equal(r.reward, 0);
  }
});

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);
}

// ---------------------------------------------------------------- LunarLander-v3 (limit 1000)

const LANDER_W = 20;

/** Gymnasium's `heuristic` for the discrete lander (lunar_lander.py), rewritten from its equations. */
function heuristic(s: Float32Array, hoverY: number | null = null): number {
  let angleTarget = s[0] * 0.5 + s[2] * 1.0; // point towards the centre, damped by horizontal speed
  angleTarget = Math.min(0.4, Math.max(-0.4, angleTarget));
  const hoverTarget = hoverY ?? 0.55 * Math.abs(s[0]);
  let angleTodo = (angleTarget - s[4]) * 0.5 - s[5] * 1.0;
  let hoverTodo = (hoverTarget - s[1]) * 0.5 - s[3] * 0.5;
  if (hoverY === null && (s[6] || s[7])) {
    angleTodo = 0; // legs down: only cushion the fall
    hoverTodo = -s[3] * 0.5;
  }
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05) return 2;
  if (angleTodo < -0.05) return 3;
  if (angleTodo > 0.05) return 1;
  return 0;
}

/** The env's planck bodies (private fields, read for the test only). */
function landerBodies(env: LunarLanderEnv): { lander: Body; legs: [Body, Body] } {
  return { lander: env['lander']!, legs: env['legs']! };
}

/** The revolute joint that holds `leg`. */
function jointOf(env: LunarLanderEnv, leg: Body): RevoluteJoint {
  for (let j = env['world']!.getJointList(); j; j = j.getNext()) {
    if (j.getBodyB() === leg) return j as RevoluteJoint;
  }
  throw new Error('no joint for this leg');
}

/** Plays the hovering heuristic for 999 steps (it neither lands nor leaves), then returns the last observation. */
function hoverToLastStep(env: LunarLanderEnv, seed: number): Float32Array {
  let s = env.reset(seed);
  for (let t = 1; t < env.spec.maxEpisodeSteps; t++) {
    const r = env.step(heuristic(s, 0.8));
    assert.equal(r.terminated, false, `seed ${seed}: step ${t} terminated`);
    assert.equal(r.truncated, false, `seed ${seed}: step ${t} truncated before the limit`);
    s = r.observation;
  }
  return s;
}

test('LunarLander: leaving the viewport on step 1000 is terminated and truncated; hovering on only truncated', () => {
  const env = new LunarLanderEnv();
  assert.equal(env.spec.maxEpisodeSteps, 1000);
  for (const seed of [4, 6]) {
    const s = hoverToLastStep(env, seed);
    const r = env.step(heuristic(s, 0.8));
    assert.deepEqual(flags(r), { terminated: false, truncated: true }, `seed ${seed}`);
    assert.notEqual(Math.abs(r.reward), 100);
  }
  for (const seed of [4, 6]) {
    hoverToLastStep(env, seed);
    // Carry lander and legs W/2 + 2 m to the right: x' = (x − W/2)/(W/2) ≥ 1 after the step, Gymnasium's
    // "outside the viewport" termination (reward −100). Nothing is there to touch.
    const { lander, legs } = landerBodies(env);
    for (const b of [lander, ...legs]) {
      const p = b.getPosition();
      b.setPosition({ x: p.x + LANDER_W / 2 + 2, y: p.y });
    }
    const r = env.step(0);
    assert.ok(Math.abs(r.observation[0]) >= 1, `x' = ${r.observation[0]}`);
    assert.equal(env.bodies.gameOver, false);
    assert.deepEqual(flags(r), { terminated: true, truncated: true }, `seed ${seed}`);
    assert.equal(r.reward, -100);
  }
});

test('LunarLander: a crash before the limit is not truncated', () => {
  const env = new LunarLanderEnv();
  for (const seed of [5, 8]) {
    env.reset(seed);
    let r: StepResult;
    let steps = 0;
    do {
      r = env.step(0);
      steps++;
    } while (!r.terminated && !r.truncated && steps < 2000);
    assert.ok(steps < 1000, `seed ${seed}: free fall lasted ${steps} steps`);
    assert.deepEqual(flags(r), { terminated: true, truncated: false });
    assert.equal(r.reward, -100);
    assert.equal(env.bodies.gameOver, true);
  }
});

test("LunarLander: leg joints take pybox2d's default reference angle and Gymnasium's limits", () => {
  const env = new LunarLanderEnv();
  for (const seed of [0, 1, 2, 3, 17]) {
    env.reset(seed);
    const { lander, legs } = landerBodies(env);
    // legs[0] is Gymnasium's i = −1, legs[1] is i = +1.
    [-1, 1].forEach((i, k) => {
      const joint = jointOf(env, legs[k]);
      assert.equal(joint.getBodyA(), lander);
      // Created at angle i·0.05 (leg) and 0 (lander): referenceAngle = bodyB.angle − bodyA.angle.
      const reference = i * 0.05 - 0;
      close(joint.getReferenceAngle(), reference, 1e-12, `seed ${seed} leg ${k} reference angle`);
      close(joint.getLowerLimit(), i === -1 ? 0.9 - 0.5 : -0.9, 1e-12, `seed ${seed} leg ${k} lower limit`);
      close(joint.getUpperLimit(), i === -1 ? 0.9 : -0.9 + 0.5, 1e-12, `seed ${seed} leg ${k} upper limit`);
      assert.equal(joint.isLimitEnabled(), true);
      assert.equal(joint.isMotorEnabled(), true);
      close(joint.getMotorSpeed(), 0.3 * i, 1e-12, 'motor speed');
      close(joint.getMaxMotorTorque(), 40, 1e-12, 'max motor torque');
      // The joint angle is measured from that reference.
      close(joint.getJointAngle(), legs[k].getAngle() - lander.getAngle() - reference, 1e-12, 'joint angle');
    });
  }
});

test('LunarLander: in free fall the motors hold the legs at the limit, 0.05 inside the nominal 0.4 rad', () => {
  // Motor speed 0.3·i drives leg −1 to its lower limit (0.4) and leg +1 to its upper limit (−0.4), measured
  // from the reference angles −0.05 and +0.05: the legs rest at ±0.35 rad from the hull, not ±0.4.
  const env = new LunarLanderEnv();
  for (const seed of [0, 1, 2]) {
    env.reset(seed);
    for (let t = 0; t < 30; t++) env.step(0);
    const { lander, legs } = env.bodies;
    assert.ok(!legs.some((leg) => leg.y < 5), 'still in the air');
    close(legs[0].angle - lander.angle, 0.35, 0.01, `seed ${seed} leg 0 relative angle`);
    close(legs[1].angle - lander.angle, -0.35, 0.01, `seed ${seed} leg 1 relative angle`);
  }
});

// ---------------------------------------------------------------- MinAtar Breakout (limit 10 000, gym_minatar's TimeLimit)

test('Breakout: losing the ball on step 10000 is terminated and truncated; keeping it only truncated', () => {
  const env = new MinAtarBreakoutEnv();
  assert.equal(env.spec.maxEpisodeSteps, 10_000);
  const keepInPlay = () => Object.assign(env.state, { ballX: 5, ballY: 5, lastX: 5, lastY: 5, ballDir: 0 }); // → (4, 4)
  playToLastStep(env, 1, keepInPlay, (t) => t % 3);
  keepInPlay();
  assert.deepEqual(flags(env.step(0)), { terminated: false, truncated: true });
  playToLastStep(env, 2, keepInPlay, (t) => t % 3);
  // Ball at (5, 8) heading down-right lands on (6, 9); the paddle at column 0 (at most 1 after a move) misses it.
  Object.assign(env.state, { ballX: 5, ballY: 8, lastX: 4, lastY: 7, ballDir: 2, pos: 0 });
  assert.deepEqual(flags(env.step(0)), { terminated: true, truncated: true });
});

test('Breakout: losing the ball before the limit is not truncated', () => {
  const env = new MinAtarBreakoutEnv();
  env.reset(3);
  Object.assign(env.state, { ballX: 5, ballY: 8, lastX: 4, lastY: 7, ballDir: 2, pos: 0 });
  assert.deepEqual(flags(env.step(0)), { terminated: true, truncated: false });
});
