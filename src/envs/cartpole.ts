// CartPole-v1 with Gymnasium's equations (Barto, Sutton & Anderson 1983, as in
// gymnasium/envs/classic_control/cartpole.py): Euler integration, reward 1 on every step including the last.
import { Rng } from './rng.js';
import { checkAction, type Env, type EnvSpec, type StepResult } from './types.js';

export const CARTPOLE = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  /** Half the pole's length. */
  length: 0.5,
  forceMag: 10.0,
  tau: 0.02,
  thetaThresholdRadians: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
} as const;

export class CartPoleEnv implements Env {
  readonly spec: EnvSpec = {
    id: 'CartPole-v1',
    observationShape: [4],
    observationLayout: 'flat',
    actionCount: 2,
    maxEpisodeSteps: 500,
    rewardThreshold: 475,
  };
  /** x, x_dot, theta, theta_dot — kept in float64 like Gymnasium's numpy state. */
  state = new Float64Array(4);
  private readonly rng = new Rng();
  private steps = 0;

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    for (let i = 0; i < 4; i++) this.state[i] = this.rng.uniform(-0.05, 0.05);
    this.steps = 0;
    return Float32Array.from(this.state);
  }

  step(action: number): StepResult {
    checkAction(this.spec, action);
    const { gravity, massCart, massPole, length, forceMag, tau } = CARTPOLE;
    const totalMass = massCart + massPole;
    const poleMassLength = massPole * length;
    let [x, xDot, theta, thetaDot] = this.state;
    const force = action === 1 ? forceMag : -forceMag;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + poleMassLength * thetaDot * thetaDot * sin) / totalMass;
    const thetaAcc = (gravity * sin - cos * temp) / (length * (4.0 / 3.0 - (massPole * cos * cos) / totalMass));
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / totalMass;
    x += tau * xDot;
    xDot += tau * xAcc;
    theta += tau * thetaDot;
    thetaDot += tau * thetaAcc;
    this.state.set([x, xDot, theta, thetaDot]);
    this.steps++;
    const terminated =
      x < -CARTPOLE.xThreshold ||
      x > CARTPOLE.xThreshold ||
      theta < -CARTPOLE.thetaThresholdRadians ||
      theta > CARTPOLE.thetaThresholdRadians;
    return {
      observation: Float32Array.from(this.state),
      reward: 1,
      terminated,
      // As Gymnasium's TimeLimit wrapper: the limit truncates whether or not this step also terminates.
      truncated: this.steps >= this.spec.maxEpisodeSteps,
    };
  }
}
