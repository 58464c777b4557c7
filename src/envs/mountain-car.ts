// MountainCar-v0 with Gymnasium's rules (gymnasium/envs/classic_control/mountain_car.py, after Moore 1990):
// an underpowered car in a valley must rock back and forth to reach the flag on the right hill.
// Reward −1 on every step, including the one that reaches the goal.
import { Rng } from './rng.js';
import { checkAction, type Env, type EnvSpec, type StepResult } from './types.js';

export const MOUNTAIN_CAR = {
  minPosition: -1.2,
  maxPosition: 0.6,
  maxSpeed: 0.07,
  goalPosition: 0.5,
  goalVelocity: 0,
  force: 0.001,
  gravity: 0.0025,
} as const;

export class MountainCarEnv implements Env {
  readonly spec: EnvSpec = {
    id: 'MountainCar-v0',
    observationShape: [2],
    observationLayout: 'flat',
    actionCount: 3,
    maxEpisodeSteps: 200,
    rewardThreshold: -110,
  };
  /** position, velocity — float64 like Gymnasium's state. */
  state = new Float64Array(2);
  private readonly rng = new Rng();
  private steps = 0;

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    this.state[0] = this.rng.uniform(-0.6, -0.4);
    this.state[1] = 0;
    this.steps = 0;
    return Float32Array.from(this.state);
  }

  step(action: number): StepResult {
    checkAction(this.spec, action);
    const c = MOUNTAIN_CAR;
    let [position, velocity] = this.state;
    // Action 0 pushes left, 1 does nothing, 2 pushes right; the hill's slope is cos(3x).
    velocity += (action - 1) * c.force + Math.cos(3 * position) * -c.gravity;
    velocity = Math.min(Math.max(velocity, -c.maxSpeed), c.maxSpeed);
    position += velocity;
    position = Math.min(Math.max(position, c.minPosition), c.maxPosition);
    // The left edge is an inelastic wall.
    if (position === c.minPosition && velocity < 0) velocity = 0;
    this.state[0] = position;
    this.state[1] = velocity;
    this.steps++;
    const terminated = position >= c.goalPosition && velocity >= c.goalVelocity;
    return {
      observation: Float32Array.from(this.state),
      reward: -1,
      terminated,
      // As Gymnasium's TimeLimit wrapper: the limit truncates whether or not this step also terminates.
      truncated: this.steps >= this.spec.maxEpisodeSteps,
    };
  }
}
