// Acrobot-v1 with Gymnasium's dynamics (gymnasium/envs/classic_control/acrobot.py, book_or_nips = 'book',
// i.e. the equations of Sutton & Barto's book): a two-link chain hanging from a fixed pivot, torque on the
// middle joint only. One 4th-order Runge–Kutta step of length dt per env step, then the angles are wrapped
// and the angular velocities clipped. Reward −1 per step, 0 on the step that reaches the target height.
import { Rng } from './rng.js';
import { checkAction, type Env, type EnvSpec, type StepResult } from './types.js';

export const ACROBOT = {
  dt: 0.2,
  linkLength1: 1.0,
  linkLength2: 1.0,
  linkMass1: 1.0,
  linkMass2: 1.0,
  /** Distance from each joint to its link's centre of mass. */
  linkComPos1: 0.5,
  linkComPos2: 0.5,
  /** Moment of inertia of each link. */
  linkMoi: 1.0,
  gravity: 9.8,
  maxVel1: 4 * Math.PI,
  maxVel2: 9 * Math.PI,
  /** Torque for actions 0, 1, 2. */
  torques: [-1.0, 0.0, 1.0],
} as const;

/**
 * Time derivative of [θ1, θ2, θ̇1, θ̇2] under `torque`, the 'book' variant of Gymnasium's _dsdt.
 * θ1 is measured from straight down; θ2 is relative to the first link.
 */
export function acrobotDerivatives(s: ArrayLike<number>, torque: number): [number, number, number, number] {
  const { linkMass1: m1, linkMass2: m2, linkLength1: l1, linkComPos1: lc1, linkComPos2: lc2, gravity: g } = ACROBOT;
  const i1 = ACROBOT.linkMoi;
  const i2 = ACROBOT.linkMoi;
  const theta1 = s[0];
  const theta2 = s[1];
  const dtheta1 = s[2];
  const dtheta2 = s[3];
  const cos2 = Math.cos(theta2);
  const sin2 = Math.sin(theta2);
  // Inertia terms.
  const d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + i1 + i2;
  const d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + i2;
  // Gravity and Coriolis/centrifugal terms.
  const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2);
  const phi1 =
    -m2 * l1 * lc2 * dtheta2 * dtheta2 * sin2 -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
    (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
    phi2;
  // The book's equation keeps the θ̇1² sin θ2 term that the NIPS paper dropped.
  const ddtheta2 =
    (torque + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * sin2 - phi2) /
    (m2 * lc2 * lc2 + i2 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  return [dtheta1, dtheta2, ddtheta1, ddtheta2];
}

/** One classical Runge–Kutta step of length h for the autonomous system y' = f(y). */
export function rk4Step(f: (y: Float64Array) => ArrayLike<number>, y: ArrayLike<number>, h: number): Float64Array {
  const n = y.length;
  const y0 = Float64Array.from(y);
  const tmp = new Float64Array(n);
  const k1 = Float64Array.from(f(y0));
  for (let i = 0; i < n; i++) tmp[i] = y0[i] + (h / 2) * k1[i];
  const k2 = Float64Array.from(f(tmp));
  for (let i = 0; i < n; i++) tmp[i] = y0[i] + (h / 2) * k2[i];
  const k3 = Float64Array.from(f(tmp));
  for (let i = 0; i < n; i++) tmp[i] = y0[i] + h * k3[i];
  const k4 = f(tmp);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = y0[i] + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  return out;
}

/** Shifts x by whole periods (hi − lo) until lo ≤ x ≤ hi, as Gymnasium's wrap() does. */
export function wrap(x: number, lo: number, hi: number): number {
  const period = hi - lo;
  while (x > hi) x -= period;
  while (x < lo) x += period;
  return x;
}

/** Clips x to [lo, hi]. */
export function bound(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

export class AcrobotEnv implements Env {
  readonly spec: EnvSpec = {
    id: 'Acrobot-v1',
    observationShape: [6],
    observationLayout: 'flat',
    actionCount: 3,
    maxEpisodeSteps: 500,
    rewardThreshold: -100,
  };
  /** θ1, θ2, θ̇1, θ̇2 in float64 (Gymnasium integrates in float64). */
  state = new Float64Array(4);
  private readonly rng = new Rng();
  private steps = 0;

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    // Gymnasium draws the start state in float64 and stores it as float32.
    for (let i = 0; i < 4; i++) this.state[i] = Math.fround(this.rng.uniform(-0.1, 0.1));
    this.steps = 0;
    return this.observe();
  }

  step(action: number): StepResult {
    checkAction(this.spec, action);
    const torque = ACROBOT.torques[action];
    const ns = rk4Step((y) => acrobotDerivatives(y, torque), this.state, ACROBOT.dt);
    ns[0] = wrap(ns[0], -Math.PI, Math.PI);
    ns[1] = wrap(ns[1], -Math.PI, Math.PI);
    ns[2] = bound(ns[2], -ACROBOT.maxVel1, ACROBOT.maxVel1);
    ns[3] = bound(ns[3], -ACROBOT.maxVel2, ACROBOT.maxVel2);
    this.state.set(ns);
    this.steps++;
    const terminated = AcrobotEnv.reachedTarget(this.state);
    return {
      observation: this.observe(),
      reward: terminated ? 0 : -1,
      terminated,
      // As Gymnasium's TimeLimit wrapper: the limit truncates whether or not this step also terminates.
      truncated: this.steps >= this.spec.maxEpisodeSteps,
    };
  }

  /** The free end is more than one link length above the pivot: −cos θ1 − cos(θ1 + θ2) > 1. */
  static reachedTarget(s: ArrayLike<number>): boolean {
    return -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
  }

  private observe(): Float32Array {
    const [t1, t2, v1, v2] = this.state;
    return Float32Array.from([Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), v1, v2]);
  }
}
