// One greedy episode, the loop every evaluation and recording shares: reset with the episode's seed, act
// until terminated or truncated (Gymnasium's two endings), sum the rewards.
import type { Env, StepResult } from '../envs/types.js';

/** Greedy action for one observation; runtimes like onnxruntime answer asynchronously. */
export type ActFn = (observation: Float32Array) => number | Promise<number>;

/** What one step saw, for callers that keep transitions (demonstrations). */
export type OnStep = (observation: Float32Array, action: number, result: StepResult) => void;

export interface EpisodeResult {
  total: number;
  length: number;
}

/** Plays one episode of `env` from `seed` with `act`. */
export async function playEpisode(env: Env, act: ActFn, seed: number, onStep?: OnStep): Promise<EpisodeResult> {
  let observation = env.reset(seed);
  let total = 0;
  let length = 0;
  for (;;) {
    const action = await act(observation);
    const result = env.step(action);
    onStep?.(observation, action, result);
    total += result.reward;
    length++;
    observation = result.observation;
    if (result.terminated || result.truncated) return { total, length };
  }
}
