// Environment ids → constructors. The only place that knows every built-in environment; environments that
// live elsewhere (a user's Gymnasium env, 'gym:<id>') come from providers that Node-only code registers.
import { AcrobotEnv } from './acrobot.js';
import { CartPoleEnv } from './cartpole.js';
import { LunarLanderEnv } from './lunar-lander.js';
import { MinAtarBreakoutEnv } from './minatar-breakout.js';
import { MountainCarEnv } from './mountain-car.js';
import type { Env, EnvSpec, VectorEnv } from './types.js';
import { EnvArray, envOfVector } from './vector.js';
import { UsageError } from '../util/errors.js';

const constructors: Record<string, () => Env> = {
  'CartPole-v1': () => new CartPoleEnv(),
  'Acrobot-v1': () => new AcrobotEnv(),
  'MountainCar-v0': () => new MountainCarEnv(),
  'LunarLander-v3': () => new LunarLanderEnv(),
  'MinAtar/Breakout': () => new MinAtarBreakoutEnv(),
};

/** Makes the environments whose ids start with `prefix` (e.g. 'gym:'), which the table above does not hold. */
export interface EnvProvider {
  /** The ids it makes start with this. */
  prefix: string;
  /** The spec of `id` (may start the env once to learn it). */
  spec(id: string): EnvSpec;
  /** `size` copies of `id`, stepped together. */
  makeVector(id: string, size: number): VectorEnv;
  /** What a policy file should record to make `id` the same way elsewhere (JSON-able), or null. */
  recordedOptions?(id: string): Record<string, unknown> | null;
  /** Makes `id` as a policy file recorded it, unless this process was already told how to make it. */
  restoreOptions?(id: string, options: Record<string, unknown>): void;
}

const providers: EnvProvider[] = [];

/** Adds (or replaces, by prefix) a provider of environments that are not built in. */
export function registerEnvProvider(provider: EnvProvider): void {
  const at = providers.findIndex((p) => p.prefix === provider.prefix);
  if (at >= 0) providers[at] = provider;
  else providers.push(provider);
}

function providerOf(id: string): EnvProvider | undefined {
  return constructors[id] ? undefined : providers.find((p) => id.startsWith(p.prefix) && id.length > p.prefix.length);
}

/** The UsageError for an id that names no environment; the message lists the known ids. */
export class UnknownEnvError extends UsageError {
  constructor(readonly id: string) {
    super(`unknown environment '${id}' (known: ${envIds().join(', ')}, or gym:<Gymnasium id> for a Gymnasium env)`);
  }
}

/** Ids of every environment, in registry order, e.g. 'CartPole-v1'. */
export function envIds(): string[] {
  return Object.keys(constructors);
}

/**
 * A new environment (a fresh instance each call); an unknown id throws UsageError listing the known ones.
 * Call `close()` when done with an env that may come from a provider (it may hold a process).
 */
export function makeEnv(id: string): Env {
  const make = constructors[id];
  if (make) return make();
  const provider = providerOf(id);
  if (!provider) throw new UnknownEnvError(id);
  return envOfVector(provider.makeVector(id, 1));
}

/** `size` copies of environment `id` stepped together (for a Gymnasium env: one process); close it when done. */
export function makeVectorEnv(id: string, size: number): VectorEnv {
  const make = constructors[id];
  if (make) return new EnvArray(Array.from({ length: size }, make));
  const provider = providerOf(id);
  if (!provider) throw new UnknownEnvError(id);
  return provider.makeVector(id, size);
}

/** The spec of environment `id` (see EnvSpec); an unknown id throws UsageError. */
export function envSpec(id: string): EnvSpec {
  const make = constructors[id];
  if (make) return make().spec;
  const provider = providerOf(id);
  if (!provider) throw new UnknownEnvError(id);
  return provider.spec(id);
}

/** The id itself when it names an environment (built in, or of a registered provider); else a UsageError. */
export function checkEnvId(id: string): string {
  if (!constructors[id] && !providerOf(id)) throw new UnknownEnvError(id);
  return id;
}

/** How a policy file records env `id` (see EnvProvider.recordedOptions); null for built-in envs. */
export function recordedEnvOptions(id: string): Record<string, unknown> | null {
  return providerOf(id)?.recordedOptions?.(id) ?? null;
}

/** Applies the options a policy file recorded for env `id` (see EnvProvider.restoreOptions). */
export function restoreEnvOptions(id: string, options: Record<string, unknown>): void {
  providerOf(id)?.restoreOptions?.(id, options);
}

/** Whether `id` is one of the built-in environments (pure TypeScript, also in the browser). */
export function isBuiltInEnv(id: string): boolean {
  return constructors[id] !== undefined;
}

/** Every environment's spec: id, observation shape and layout, action count, episode limit, solved threshold. */
export function listEnvs(): EnvSpec[] {
  return envIds().map(envSpec);
}
