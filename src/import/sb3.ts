// Stable-Baselines3 / RL Zoo model zips: `data` (JSON; objects that JSON cannot hold are base64 cloudpickle
// under ':serialized:', with plain copies of their fields beside), `policy.pth` (the policy's state dict) and
// `_stable_baselines3_version`. Read from the plain fields; a serialized blob is only ever read for the one
// class it names, with the restricted unpickler refusing every call.
import { UsageError } from '../util/errors.js';
import { PyGlobal, unpickle } from './pickle.js';
import type { Activation } from './mlp.js';

/** What qdistill reads from an SB3 `data` file. */
export interface Sb3Data {
  /** e.g. 'stable_baselines3.dqn.policies.DQNPolicy'. */
  policyClass: string | null;
  /** 'DQN' or 'QR-DQN'. */
  algorithm: 'DQN' | 'QR-DQN';
  /** Hidden sizes from policy_kwargs.net_arch, when listed. */
  netArch: number[] | null;
  activation: Activation;
  /** QR-DQN's quantiles per action (policy_kwargs.n_quantiles), when given. */
  quantiles: number | null;
  observationShape: number[] | null;
  /** The observation space's plain fields (what SB3 writes beside the cloudpickle blob), or null when absent. */
  observation: Sb3Box | null;
  /** policy_kwargs.normalize_images (SB3's default: true): divide image observations by 255. */
  normalizeImages: boolean;
  /** The class named by policy_kwargs.features_extractor_class, e.g. 'NatureCNN', or null when not given. */
  featuresExtractor: string | null;
  actionCount: number | null;
}

/** A bound of a Box: one number for every element (non-finite ones as '-inf', 'inf', 'nan'), 'varies', or null (not written). */
export type Bound = number | '-inf' | 'inf' | 'nan' | 'varies' | null;

/** A Box observation space as read from `data`: its shape, dtype and bounds when every element shares them. */
export interface Sb3Box {
  shape: number[] | null;
  /** numpy's name of the dtype, e.g. 'uint8', 'float32'; null when not written. */
  dtype: string | null;
  /** The lower bound when every element has it ('-inf', 'inf' or 'nan' when not finite), 'varies' when they differ, null when not written. */
  low: Bound;
  /** The upper bound, likewise. */
  high: Bound;
}

type Json = Record<string, unknown>;

const ACTIVATIONS: Record<string, Activation> = { ReLU: 'Relu', Tanh: 'Tanh', Sigmoid: 'Sigmoid', ELU: 'Elu', LeakyReLU: 'LeakyRelu' };

/** The class a cloudpickle blob names, when the blob is nothing but a reference to it (no calls, no state). */
function classReference(serialized: unknown): string | null {
  if (typeof serialized !== 'string') return null;
  try {
    const value = unpickle(Buffer.from(serialized, 'base64'), { where: 'data', allow: () => true });
    return value instanceof PyGlobal ? value.qualified : null;
  } catch {
    return null;
  }
}

const shapeOf = (space: unknown): number[] | null => {
  if (!space || typeof space !== 'object') return null;
  const s = (space as Json).shape ?? (space as Json)._shape;
  return Array.isArray(s) && s.every((n) => Number.isInteger(n) && n > 0) ? (s as number[]) : null;
};

/**
 * A bound as SB3 writes it: gymnasium's `low_repr` ('0', '-inf') when present, else numpy's str() of the array,
 * which elides the middle of large arrays ('[[[0 0 0 ... 0 0 0] ...'); the values shown decide.
 */
function boundOf(space: Json, key: 'low' | 'high'): Bound {
  const text = [space[`${key}_repr`], space[key]].find((v) => typeof v === 'string' || typeof v === 'number');
  if (text === undefined) return null;
  const values = (String(text).match(/[-+]?(?:inf|nan|\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)/gi) ?? []).map((t) =>
    /inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t),
  );
  if (values.length === 0) return null;
  if (!values.every((v) => v === values[0] || (Number.isNaN(v) && Number.isNaN(values[0])))) return 'varies';
  const v = values[0];
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

function boxOf(space: unknown, where: string): Sb3Box | null {
  if (!space || typeof space !== 'object') return null;
  const s = space as Json;
  const type = typeof s[':type:'] === 'string' ? (s[':type:'] as string) : null;
  if (type && !/\bBox\b/.test(type)) throw new UsageError(`the observation space is ${type}; qdistill imports Box observations (not Dict, Discrete, …)`, where);
  return { shape: shapeOf(s), dtype: typeof s.dtype === 'string' ? s.dtype : null, low: boundOf(s, 'low'), high: boundOf(s, 'high') };
}

/** The class name in a repr such as "<class 'stable_baselines3.common.torch_layers.NatureCNN'>". */
function className(value: unknown): string | null {
  return typeof value === 'string' ? (/([A-Za-z_][A-Za-z0-9_]*)'?>?\s*$/.exec(value)?.[1] ?? null) : null;
}

function activationOf(kwargs: Json, where: string): Activation {
  const fn = kwargs.activation_fn;
  if (fn === undefined) return 'Relu';
  const name = typeof fn === 'string' ? /([A-Za-z0-9_]+)'?>?\s*$/.exec(fn)?.[1] : null;
  const act = name ? ACTIVATIONS[name] : undefined;
  if (!act) throw new UsageError(`policy_kwargs.activation_fn is ${JSON.stringify(fn)}; qdistill imports ${Object.keys(ACTIVATIONS).join(', ')}`, where);
  return act;
}

/** Reads the `data` entry of an SB3 zip. */
export function readSb3Data(bytes: Uint8Array, where: string): Sb3Data {
  let data: Json;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes)) as Json;
  } catch (error) {
    throw new UsageError(`the zip's 'data' entry is not JSON: ${(error as Error).message}`, where);
  }
  const policy = (data.policy_class ?? {}) as Json;
  let policyClass = classReference(policy[':serialized:']);
  if (!policyClass && typeof policy.__module__ === 'string') {
    const name = /<function (\w+)\.__init__/.exec(String(policy.__init__ ?? ''))?.[1];
    policyClass = name ? `${policy.__module__}.${name}` : null;
  }
  if (policyClass && /actor|critic|sac|td3|ppo|a2c|ddpg/i.test(policyClass)) {
    throw new UsageError(`the zip holds a ${policyClass}; qdistill imports DQN and QR-DQN Q-networks`, where);
  }
  const algorithm = policyClass && /qrdqn|quantile/i.test(policyClass) ? 'QR-DQN' : 'DQN';
  const kwargs = (data.policy_kwargs && typeof data.policy_kwargs === 'object' ? data.policy_kwargs : {}) as Json;
  const arch = kwargs.net_arch;
  const netArch = Array.isArray(arch) && arch.every((n) => Number.isInteger(n)) ? (arch as number[]) : null;
  const quantiles = Number.isInteger(kwargs.n_quantiles) ? (kwargs.n_quantiles as number) : null;
  const action = (data.action_space ?? {}) as Json;
  if (typeof action[':type:'] === 'string' && !/Discrete/.test(action[':type:'] as string)) {
    throw new UsageError(`the action space is ${action[':type:']}; a Q-network needs a Discrete one`, where);
  }
  const n = action.n;
  const normalize = kwargs.normalize_images;
  if (normalize !== undefined && typeof normalize !== 'boolean') throw new UsageError(`policy_kwargs.normalize_images is ${JSON.stringify(normalize)}, not true or false`, where);
  return {
    policyClass,
    algorithm,
    netArch,
    activation: activationOf(kwargs, where),
    quantiles,
    observationShape: shapeOf(data.observation_space),
    observation: boxOf(data.observation_space, where),
    normalizeImages: normalize ?? true,
    featuresExtractor: className(kwargs.features_extractor_class),
    actionCount: Number.isInteger(n) ? (n as number) : typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : null,
  };
}

/**
 * A YAML file as the RL Zoo writes it: `!!python/object/apply:collections.OrderedDict` over one list of
 * [key, value] pairs (`- - - key` for the first, `  - - key` after, each value `    - value`): key → value.
 */
export function parseZooYaml(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length - 1; i++) {
    const key = /^(?:- |  )- - (\S+)\s*$/.exec(lines[i]);
    const value = /^ {4}- (.*)$/.exec(lines[i + 1]);
    if (key && value) out[key[1]] = scalar(value[1].trim());
  }
  return out;
}

function scalar(s: string): unknown {
  if (/^-?\d+(\.\d*)?(e[-+]?\d+)?$/i.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(s);
  return quoted ? (quoted[1] ?? quoted[2]) : s;
}

/**
 * SB3's is_image_space (the test preprocess_obs makes before dividing by 255): a 3-D Box of dtype uint8 whose
 * bounds are 0 and 255. 'unknown' when `data` leaves the dtype or the bounds out.
 */
export function isImageSpace(box: Sb3Box | null): boolean | 'unknown' {
  if (!box?.shape || box.shape.length !== 3) return box?.shape ? false : 'unknown';
  if (box.dtype === null) return 'unknown';
  if (box.dtype !== 'uint8') return false;
  if (box.low === null || box.high === null) return 'unknown';
  return box.low === 0 && box.high === 255;
}
