// `gym:<id>` environments: the env provider that makes a user's Gymnasium environments through the bridge.
// Options that an id alone cannot carry (kwargs, the Python, wrappers, the timeout) are set per id with
// configureGymEnv; an id never configured is made with the defaults.
import { registerEnvProvider } from '../envs/registry.js';
import { checkAction, type EnvSpec, type StepResult, type VectorEnv } from '../envs/types.js';
import { UsageError } from '../util/errors.js';
import { GymBridge, type BridgeHello, type GymEnvOptions } from './bridge.js';

/** The prefix of every Gymnasium env id in qdistill: 'gym:CartPole-v1', 'gym:envs/grid.py:GridEnv'. */
export const GYM_PREFIX = 'gym:';

const configured = new Map<string, GymEnvOptions>();
const specs = new Map<string, EnvSpec>();
/**
 * The one-env vector that learnt an id's spec, kept open: commands read the spec (opening the policy file)
 * and then make the env, and starting Python and importing the env twice would cost twice.
 */
const idle = new Map<string, GymVectorEnv>();

/** Forgets what was learnt about `id` (all ids without one) once how it is made changes. */
function forget(id?: string): void {
  for (const [key, vector] of idle) {
    if (id === undefined || key === id) {
      idle.delete(key);
      vector.close();
    }
  }
  if (id === undefined) specs.clear();
  else specs.delete(id);
}
/** Options given without naming an env (e.g. `eval model.onnx --python …`): they apply to every gym: env. */
let defaults: Omit<GymEnvOptions, 'env'> = {};

/**
 * Sets how `gym:<options.env>` is made from now on in this process (kwargs, Python, wrappers, timeout) and
 * returns that id, which every function taking an env id then accepts.
 */
export function configureGymEnv(options: GymEnvOptions): string {
  const id = GYM_PREFIX + options.env;
  configured.set(id, options);
  forget(id);
  return id;
}

/**
 * Options for every gym: env of this process, over what it was configured with or what a policy file
 * recorded (the Python of this machine, another time limit); undefined fields change nothing.
 */
export function setGymDefaults(options: Omit<GymEnvOptions, 'env'>): void {
  defaults = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  forget();
}

/** What this process was told about making gym: envs (configureGymEnv, setGymDefaults, restored options), as plain JSON. */
export interface GymSettings {
  configured: GymEnvOptions[];
  defaults: Omit<GymEnvOptions, 'env'>;
}

/** This process's gym: settings, for another process that must make the same envs (a serve worker). */
export function gymSettings(): GymSettings {
  return { configured: [...configured.values()], defaults: { ...defaults } };
}

/** Makes gym: envs as the process that gave `settings` makes them. */
export function applyGymSettings(settings: GymSettings): void {
  for (const options of settings.configured) configureGymEnv(options);
  setGymDefaults(settings.defaults);
}

/** How `id` ('gym:…') is made: its configured (or recorded) options with the defaults over them. */
export function gymEnvOptions(id: string): GymEnvOptions {
  return { ...(configured.get(id) ?? { env: id.slice(GYM_PREFIX.length) }), ...defaults };
}

/** The qdistill spec of a bridged env, from the bridge's description of its spaces and limits. */
function specOf(id: string, hello: BridgeHello): EnvSpec {
  const shape = hello.observation_shape;
  // An image with its channels last is laid out as our own image envs are; anything else is taken as it comes.
  const layout = shape.length === 3 && shape[2] <= 4 && shape[0] > 4 ? 'hwc' : 'flat';
  return {
    id,
    observationShape: shape,
    observationLayout: layout,
    actionCount: hello.actions,
    maxEpisodeSteps: hello.max_episode_steps ?? Infinity,
    rewardThreshold: hello.reward_threshold,
  };
}

/** A vector of one Gymnasium env in one Python process. */
class GymVectorEnv implements VectorEnv {
  readonly spec: EnvSpec;
  private readonly bridge: GymBridge;

  constructor(id: string, readonly size: number) {
    this.bridge = new GymBridge(gymEnvOptions(id), size);
    this.spec = specOf(id, this.bridge.hello);
    specs.set(id, this.spec);
  }

  reset(indices: number[], seeds: (number | undefined)[]): Float32Array[] {
    // Refused before the first episode rather than hanging in one that never ends (reading shapes is fine).
    if (!Number.isFinite(this.spec.maxEpisodeSteps)) {
      this.close();
      throw new UsageError(`${this.spec.id} has no time limit, so an episode might never end: give it one (--env-kwargs '{"max_episode_steps": 1000}')`);
    }
    return this.bridge.reset(indices, seeds.map((s) => s ?? null));
  }

  step(indices: number[], actions: ArrayLike<number>): StepResult[] {
    for (let k = 0; k < indices.length; k++) checkAction(this.spec, actions[k]);
    const r = this.bridge.step(indices, actions);
    return r.observations.map((observation, k) => ({ observation, reward: r.rewards[k], terminated: r.terminated[k], truncated: r.truncated[k] }));
  }

  close(): void {
    this.bridge.close();
  }
}

registerEnvProvider({
  prefix: GYM_PREFIX,
  spec(id) {
    const known = specs.get(id);
    if (known) return known;
    const probe = new GymVectorEnv(id, 1);
    idle.set(id, probe);
    return probe.spec;
  },
  makeVector(id, size) {
    const probe = idle.get(id);
    if (probe) idle.delete(id);
    if (probe && size === 1) return probe;
    probe?.close();
    return new GymVectorEnv(id, size);
  },
  // A policy file keeps what defines the env (kwargs, wrappers), not what belongs to this machine (Python, timeout).
  recordedOptions(id) {
    const { kwargs, wrappers } = gymEnvOptions(id);
    return kwargs || wrappers ? { ...(kwargs ? { kwargs } : {}), ...(wrappers ? { wrappers } : {}) } : null;
  },
  restoreOptions(id, options) {
    if (configured.has(id)) return;
    const { kwargs, wrappers } = options as Pick<GymEnvOptions, 'kwargs' | 'wrappers'>;
    configured.set(id, { env: id.slice(GYM_PREFIX.length), kwargs, wrappers });
    forget(id);
  },
});
