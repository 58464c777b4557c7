// Greedy evaluation: play whole episodes with a policy and report the return's mean ± std, like
// Stable-Baselines3's evaluate_policy (population std). Episode i is seeded with deriveSeed(seed, i), so
// two policies evaluated with the same seed face the same initial states.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';
import { playEpisode, type ActFn } from './episode.js';
import { DEFAULT_EVAL_SEED } from './seeds.js';

/** Greedy episodes' returns: mean ± population std, with every episode's return and length. */
export interface EvalResult {
  /** Environment id the episodes were played in. */
  env: string;
  /** Episodes played. */
  episodes: number;
  /** Base seed: episode i started from deriveSeed(seed, i). */
  seed: number;
  /** Mean return over the episodes. */
  mean: number;
  /** Population standard deviation of the returns. */
  std: number;
  /** Each episode's return (sum of rewards), in order. */
  returns: number[];
  /** Each episode's length in steps, in order. */
  lengths: number[];
}

/** Mean and population std of `values` (0 and 0 when there are none). */
export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length, 1);
  return { mean, std: Math.sqrt(variance) };
}

/** Plays `episodes` greedy episodes of `envId` with `act`, episode i from deriveSeed(seed, i). */
export async function evaluatePolicy(
  envId: string,
  act: ActFn,
  options: { episodes: number; seed: number; onEpisode?: (done: number) => void },
): Promise<EvalResult> {
  const env = makeEnv(envId);
  const returns: number[] = [];
  const lengths: number[] = [];
  try {
    for (let episode = 0; episode < options.episodes; episode++) {
      const { total, length } = await playEpisode(env, act, deriveSeed(options.seed, episode));
      returns.push(total);
      lengths.push(length);
      options.onEpisode?.(episode + 1);
    }
  } finally {
    env.close?.();
  }
  return { env: envId, episodes: options.episodes, seed: options.seed, ...meanStd(returns), returns, lengths };
}

/** Options of evaluate(). */
export interface EvaluateOptions {
  /** Environment id (default: the policy's own). */
  env?: string;
  /** Episodes to play (default 100). */
  episodes?: number;
  /** Episode i starts from deriveSeed(seed, i) (default: the evaluation seed every qdistill figure uses). */
  seed?: number;
  /** Called after each episode with the number done. */
  onEpisode?: (done: number) => void;
}

/**
 * Plays greedy episodes with `policy` and returns the return's mean ± std (population std, like
 * Stable-Baselines3's evaluate_policy) with every episode's return and length.
 */
export function evaluate(policy: { spec: { id: string }; act(observation: Float32Array): Promise<number> }, options: EvaluateOptions = {}): Promise<EvalResult> {
  return evaluatePolicy(options.env ?? policy.spec.id, (observation) => policy.act(observation), {
    episodes: options.episodes ?? 100,
    seed: options.seed ?? DEFAULT_EVAL_SEED,
    onEpisode: options.onEpisode,
  });
}
