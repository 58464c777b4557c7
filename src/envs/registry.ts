// Environment ids → constructors. The only place that knows every environment.
import { AcrobotEnv } from './acrobot.js';
import { CartPoleEnv } from './cartpole.js';
import { LunarLanderEnv } from './lunar-lander.js';
import { MinAtarBreakoutEnv } from './minatar-breakout.js';
import { MountainCarEnv } from './mountain-car.js';
import type { Env, EnvSpec } from './types.js';
import { UsageError } from '../util/errors.js';

const constructors: Record<string, () => Env> = {
  'CartPole-v1': () => new CartPoleEnv(),
  'Acrobot-v1': () => new AcrobotEnv(),
  'MountainCar-v0': () => new MountainCarEnv(),
  'LunarLander-v3': () => new LunarLanderEnv(),
  'MinAtar/Breakout': () => new MinAtarBreakoutEnv(),
};

/** The UsageError for an id that names no environment; the message lists the known ids. */
export class UnknownEnvError extends UsageError {
  constructor(readonly id: string) {
    super(`unknown environment '${id}' (known: ${envIds().join(', ')})`);
  }
}

/** Ids of every environment, in registry order, e.g. 'CartPole-v1'. */
export function envIds(): string[] {
  return Object.keys(constructors);
}

/** A new environment (a fresh instance each call); an unknown id throws UsageError listing the known ones. */
export function makeEnv(id: string): Env {
  const make = constructors[id];
  if (!make) throw new UnknownEnvError(id);
  return make();
}

/** The spec of environment `id` (see EnvSpec); an unknown id throws UsageError. */
export function envSpec(id: string): EnvSpec {
  return makeEnv(id).spec;
}

/** The id itself when it names an environment; otherwise a UsageError listing the known ones. */
export function checkEnvId(id: string): string {
  if (!constructors[id]) throw new UnknownEnvError(id);
  return id;
}

/** Every environment's spec: id, observation shape and layout, action count, episode limit, solved threshold. */
export function listEnvs(): EnvSpec[] {
  return envIds().map(envSpec);
}
