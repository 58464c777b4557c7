// Greedy evaluation: play whole episodes with a policy and report the return's mean ± std, like
// Stable-Baselines3's evaluate_policy (population std). Episode i is seeded with deriveSeed(seed, i), so
// two policies evaluated with the same seed face the same initial states.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';

/** Seed of evaluation episodes everywhere (train's final evaluation, eval, distill, sweep), so figures compare. */
export const DEFAULT_EVAL_SEED = 1_000_000;

/** Greedy action for one observation; runtimes like onnxruntime answer asynchronously. */
export type ActFn = (observation: Float32Array) => number | Promise<number>;

export interface EvalResult {
  env: string;
  episodes: number;
  seed: number;
  mean: number;
  std: number;
  returns: number[];
  lengths: number[];
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length, 1);
  return { mean, std: Math.sqrt(variance) };
}

export async function evaluatePolicy(
  envId: string,
  act: ActFn,
  options: { episodes: number; seed: number; onEpisode?: (done: number) => void },
): Promise<EvalResult> {
  const env = makeEnv(envId);
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < options.episodes; episode++) {
    let observation = env.reset(deriveSeed(options.seed, episode));
    let total = 0;
    let length = 0;
    for (;;) {
      const result = env.step(await act(observation));
      total += result.reward;
      length++;
      observation = result.observation;
      if (result.terminated || result.truncated) break;
    }
    returns.push(total);
    lengths.push(length);
    options.onEpisode?.(episode + 1);
  }
  return { env: envId, episodes: options.episodes, seed: options.seed, ...meanStd(returns), returns, lengths };
}
