// The environment contract shared by training, evaluation, distillation and the browser bundle.
// Pure TypeScript: nothing here may import a Node module.

/** How an observation is laid out: 'flat' for a vector, 'hwc' for an image (height × width × channels). */
export type ObservationLayout = 'flat' | 'hwc';

/** What an environment is: its id, observation shape and layout, action count and episode limits. */
export interface EnvSpec {
  /** Gymnasium-style id, e.g. 'CartPole-v1'. */
  id: string;
  /** Shape of one observation, without the batch dimension. */
  observationShape: number[];
  /** 'flat' for vectors, 'hwc' for images (MinAtar). */
  observationLayout: ObservationLayout;
  /** Number of discrete actions; actions are the integers 0..actionCount − 1. */
  actionCount: number;
  /** The time limit: the step that reaches it reports `truncated` (and `terminated` too if it also ends the MDP). */
  maxEpisodeSteps: number;
  /** Mean return over 100 episodes at which the task counts as solved (Gymnasium's value), or null. */
  rewardThreshold: number | null;
}

/** What one environment step returns. */
export interface StepResult {
  /** The observation after the step. */
  observation: Float32Array;
  /** Reward of this step. */
  reward: number;
  /** The episode reached a terminal state of the MDP: do not bootstrap, whatever `truncated` says. */
  terminated: boolean;
  /**
   * This step reached the time limit (spec.maxEpisodeSteps), as Gymnasium's TimeLimit wrapper reports it:
   * independent of `terminated`, so both are true when the last allowed step also terminates. The episode
   * ends on either flag; bootstrap from `observation` only when `terminated` is false.
   */
  truncated: boolean;
}

/** An environment: reset starts an episode, step plays one action. Made by makeEnv(id). */
export interface Env {
  /** What this environment is (id, shapes, action count, limits). */
  readonly spec: EnvSpec;
  /** Starts an episode. With a seed the episode is reproducible; without one the env's random stream continues. */
  reset(seed?: number): Float32Array;
  /** Plays one action (an integer in 0..actionCount − 1, else RangeError) and returns what followed. */
  step(action: number): StepResult;
  /** Releases what the env holds outside this thread (a Gymnasium env's Python process); built-in envs hold nothing. */
  close?(): void;
}

/**
 * `size` copies of one environment stepped together: one call resets or steps any subset of them, so an env
 * that lives in another process (a Gymnasium env) serves many episodes per round trip. Env `i` that ended
 * must be reset before it steps again; a reset with a seed makes its episode reproducible.
 */
export interface VectorEnv {
  /** What each copy is. */
  readonly spec: EnvSpec;
  /** Number of copies; indices are 0..size − 1. */
  readonly size: number;
  /** Starts an episode in each env `indices[k]`, from `seeds[k]` (undefined: its random stream continues). */
  reset(indices: number[], seeds: (number | undefined)[]): Float32Array[];
  /** Plays `actions[k]` in env `indices[k]` and returns what followed, in the same order. */
  step(indices: number[], actions: ArrayLike<number>): StepResult[];
  /** Releases the copies (a Gymnasium env's Python process); the vector cannot be used afterwards. */
  close(): void;
}

/** Numbers in one observation: the product of observationShape. */
export function observationSize(spec: EnvSpec): number {
  return spec.observationShape.reduce((a, b) => a * b, 1);
}

/** Gymnasium asserts that the action lies in the action space; so do we. */
export function checkAction(spec: EnvSpec, action: number): void {
  if (!Number.isInteger(action) || action < 0 || action >= spec.actionCount) {
    throw new RangeError(`${spec.id}: action ${action} is not in 0..${spec.actionCount - 1}`);
  }
}
