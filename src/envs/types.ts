// The environment contract shared by training, evaluation, distillation and the browser bundle.
// Pure TypeScript: nothing here may import a Node module.

export type ObservationLayout = 'flat' | 'hwc';

export interface EnvSpec {
  /** Gymnasium-style id, e.g. 'CartPole-v1'. */
  id: string;
  /** Shape of one observation, without the batch dimension. */
  observationShape: number[];
  observationLayout: ObservationLayout;
  actionCount: number;
  /** Episodes are truncated (not terminated) after this many steps. */
  maxEpisodeSteps: number;
  /** Mean return over 100 episodes at which the task counts as solved (Gymnasium's value), or null. */
  rewardThreshold: number | null;
}

export interface StepResult {
  observation: Float32Array;
  reward: number;
  /** The episode reached a terminal state of the MDP: do not bootstrap. */
  terminated: boolean;
  /** The episode was cut by the time limit: bootstrap from `observation`. */
  truncated: boolean;
}

export interface Env {
  readonly spec: EnvSpec;
  /** Starts an episode. With a seed the episode is reproducible; without one the env's random stream continues. */
  reset(seed?: number): Float32Array;
  step(action: number): StepResult;
}

export function observationSize(spec: EnvSpec): number {
  return spec.observationShape.reduce((a, b) => a * b, 1);
}

/** Gymnasium asserts that the action lies in the action space; so do we. */
export function checkAction(spec: EnvSpec, action: number): void {
  if (!Number.isInteger(action) || action < 0 || action >= spec.actionCount) {
    throw new RangeError(`${spec.id}: action ${action} is not in 0..${spec.actionCount - 1}`);
  }
}
