// A VectorEnv over separate in-thread Env objects: what the built-in environments give when callers want
// many episodes side by side. Each copy is an ordinary Env, so episodes are exactly those of makeEnv.
import type { Env, EnvSpec, StepResult, VectorEnv } from './types.js';

/** A VectorEnv made of `envs` (all of one spec). */
export class EnvArray implements VectorEnv {
  readonly spec: EnvSpec;
  readonly size: number;

  constructor(private readonly envs: Env[]) {
    this.spec = envs[0].spec;
    this.size = envs.length;
  }

  reset(indices: number[], seeds: (number | undefined)[]): Float32Array[] {
    return indices.map((i, k) => this.envs[i].reset(seeds[k]));
  }

  step(indices: number[], actions: ArrayLike<number>): StepResult[] {
    return indices.map((i, k) => this.envs[i].step(actions[k]));
  }

  close(): void {
    for (const env of this.envs) env.close?.();
  }
}

/** One copy of a VectorEnv as an Env (what makeEnv gives for an env that only comes as a vector). */
export function envOfVector(vector: VectorEnv): Env {
  return {
    spec: vector.spec,
    reset: (seed) => vector.reset([0], [seed])[0],
    step: (action) => vector.step([0], [action])[0],
    close: () => vector.close(),
  };
}
