// Some runtimes can time calls where the model runs, without the round trip that dominates a single call
// seen from Node: the browser runtime's policy has `benchInPage(observations, batch, iterations)`, which
// returns per-call milliseconds measured with performance.now() inside the page.
import type { Policy } from '../infer/policy.js';

type InEngineBench = (observations: Float32Array, batch: number, iterations: number) => Promise<number[]>;

/** Per-call microseconds of `iterations` single-observation runs timed by the runtime itself, or null if it cannot. */
export function inEngineTimer(policy: Policy): ((observation: Float32Array, iterations: number) => Promise<number[]>) | null {
  const bench = (policy as unknown as { benchInPage?: InEngineBench }).benchInPage;
  if (typeof bench !== 'function') return null;
  return async (observation, iterations) => (await bench.call(policy, observation, 1, iterations)).map((ms) => ms * 1000);
}
