// Many greedy episodes played side by side: a vector of environments, and one batched call of the policy
// per step for every env still running. Episode i always starts from deriveSeed(seed, i), whichever slot of
// the vector plays it, so the episodes are those of evaluatePolicy for any number of envs. This is what
// lets the distillation stop rule play 100 paired episodes after every round, and what makes a Gymnasium
// env in another process cheap: one round trip steps every running episode.
import { makeVectorEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { meanStd, type EvalResult } from './evaluate.js';

/** Greedy actions for `count` observations laid out one after another. */
export type BatchActFn = (observations: Float32Array, count: number) => ArrayLike<number> | Promise<ArrayLike<number>>;

/** Options of evaluateLockstep. */
export interface LockstepOptions {
  /** Episodes to play; episode i starts from deriveSeed(seed, i). */
  episodes: number;
  /** Base seed of the episodes. */
  seed: number;
  /** Envs stepped together (default: one per episode); the returns do not depend on it. */
  numEnvs?: number;
  /** Called after each finished episode with the number done. */
  onEpisode?: (done: number) => void;
}

/** Plays `episodes` greedy episodes of `envId` with `act`, `numEnvs` at a time, episode i from deriveSeed(seed, i). */
export async function evaluateLockstep(envId: string, act: BatchActFn, options: LockstepOptions): Promise<EvalResult> {
  const slots = Math.max(1, Math.min(options.numEnvs ?? options.episodes, options.episodes));
  const vector = makeVectorEnv(envId, slots);
  try {
    const size = observationSize(vector.spec);
    const returns = new Array<number>(options.episodes).fill(0);
    const lengths = new Array<number>(options.episodes).fill(0);
    // playing[slot] = the episode that slot plays; observations[slot] = its current observation.
    const playing = Array.from({ length: slots }, (_, slot) => slot);
    const observations = vector.reset(playing, playing.map((e) => deriveSeed(options.seed, e)));
    let nextEpisode = slots;
    let done = 0;
    let running = playing.map((_, slot) => slot);
    while (running.length) {
      const batch = new Float32Array(running.length * size);
      running.forEach((slot, b) => batch.set(observations[slot], b * size));
      const actions = await act(batch, running.length);
      const results = vector.step(running, Array.from({ length: running.length }, (_, b) => actions[b]));
      const still: number[] = [];
      const restart: number[] = [];
      running.forEach((slot, b) => {
        const result = results[b];
        const episode = playing[slot];
        returns[episode] += result.reward;
        lengths[episode]++;
        observations[slot] = result.observation;
        if (!result.terminated && !result.truncated) return void still.push(slot);
        options.onEpisode?.(++done);
        if (nextEpisode < options.episodes) {
          playing[slot] = nextEpisode++;
          restart.push(slot);
        }
      });
      if (restart.length) {
        const first = vector.reset(restart, restart.map((slot) => deriveSeed(options.seed, playing[slot])));
        restart.forEach((slot, k) => (observations[slot] = first[k]));
      }
      running = [...still, ...restart].sort((a, b) => a - b);
    }
    return { env: envId, episodes: options.episodes, seed: options.seed, ...meanStd(returns), returns, lengths };
  } finally {
    vector.close();
  }
}
