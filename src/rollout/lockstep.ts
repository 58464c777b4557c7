// Many greedy episodes played side by side: one environment per episode, and one batched call of the policy
// per step for every episode still running. The same episodes as evaluatePolicy (episode i from
// deriveSeed(seed, i)), at the cost of one forward pass per step instead of one per episode and step, which
// is what lets the distillation stop rule play 100 paired episodes after every round.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';
import { observationSize, type Env } from '../envs/types.js';
import { meanStd, type EvalResult } from './evaluate.js';

/** Greedy actions for `count` observations laid out one after another. */
export type BatchActFn = (observations: Float32Array, count: number) => ArrayLike<number> | Promise<ArrayLike<number>>;

/** Plays `episodes` greedy episodes of `envId` at once with `act`, episode i from deriveSeed(seed, i). */
export async function evaluateLockstep(envId: string, act: BatchActFn, options: { episodes: number; seed: number }): Promise<EvalResult> {
  const envs: Env[] = Array.from({ length: options.episodes }, () => makeEnv(envId));
  const size = observationSize(envs[0].spec);
  const observations = envs.map((env, i) => env.reset(deriveSeed(options.seed, i)));
  const returns = new Array<number>(envs.length).fill(0);
  const lengths = new Array<number>(envs.length).fill(0);
  let running = envs.map((_, i) => i);
  while (running.length) {
    const batch = new Float32Array(running.length * size);
    running.forEach((e, b) => batch.set(observations[e], b * size));
    const actions = await act(batch, running.length);
    const still: number[] = [];
    running.forEach((e, b) => {
      const result = envs[e].step(actions[b]);
      returns[e] += result.reward;
      lengths[e]++;
      observations[e] = result.observation;
      if (!result.terminated && !result.truncated) still.push(e);
    });
    running = still;
  }
  return { env: envId, episodes: options.episodes, seed: options.seed, ...meanStd(returns), returns, lengths };
}
