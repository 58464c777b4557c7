// DQN hyperparameters with Stable-Baselines3's names (camelCase) and RL Baselines3 Zoo's dqn.yml values.
import { UsageError } from '../util/errors.js';

/** DQN hyperparameters under Stable-Baselines3's names (camelCase); presetFor(env) gives the Zoo's values. */
export interface DqnConfig {
  /** Environment steps to train. */
  totalTimesteps: number;
  /** Adam's learning rate. */
  learningRate: number;
  /** Transitions the replay buffer holds; once full the oldest are overwritten. */
  bufferSize: number;
  /** Environment steps before the first gradient step. */
  learningStarts: number;
  /** Transitions per minibatch. */
  batchSize: number;
  /** Polyak coefficient for the target network; 1 = hard copy every targetUpdateInterval steps. */
  tau: number;
  /** Discount factor. */
  gamma: number;
  /** Train every this many environment steps. */
  trainFreq: number;
  /** Gradient steps per training round; −1 = as many as environment steps since the last round. */
  gradientSteps: number;
  /** Environment steps between target network updates. */
  targetUpdateInterval: number;
  /** Share of totalTimesteps over which ε falls linearly from explorationInitialEps to explorationFinalEps. */
  explorationFraction: number;
  /** ε at the start of training. */
  explorationInitialEps: number;
  /** ε after the exploration fraction, to the end. */
  explorationFinalEps: number;
  /** Gradients are rescaled so that their global L2 norm is at most this. */
  maxGradNorm: number;
  /** Double DQN target: the online network picks the next action, the target network scores it. */
  doubleQ: boolean;
  /** Dueling network: separate value and advantage heads. */
  dueling: boolean;
  /** Hidden layer sizes. */
  netArch: number[];
  /** MinAtar CNN: filters of the 3×3 conv layer in front of netArch (0 = MLP). */
  convFilters: number;
  /** Episodes of greedy evaluation at the end. */
  evalEpisodes: number;
  /** Environment steps between checkpoints. */
  checkpointInterval: number;
}

const sb3Defaults: DqnConfig = {
  totalTimesteps: 100_000,
  learningRate: 1e-4,
  bufferSize: 1_000_000,
  learningStarts: 100,
  batchSize: 32,
  tau: 1.0,
  gamma: 0.99,
  trainFreq: 4,
  gradientSteps: 1,
  targetUpdateInterval: 10_000,
  explorationFraction: 0.1,
  explorationInitialEps: 1.0,
  explorationFinalEps: 0.05,
  maxGradNorm: 10,
  doubleQ: false,
  dueling: false,
  netArch: [64, 64],
  convFilters: 0,
  evalEpisodes: 100,
  checkpointInterval: 10_000,
};

/** Per-env values over SB3's defaults (RL Baselines3 Zoo's dqn.yml; MinAtar's paper for Breakout). */
export const PRESETS: Record<string, Partial<DqnConfig>> = {
  'CartPole-v1': {
    totalTimesteps: 50_000, learningRate: 2.3e-3, batchSize: 64, bufferSize: 100_000, learningStarts: 1000,
    gamma: 0.99, targetUpdateInterval: 10, trainFreq: 256, gradientSteps: 128, explorationFraction: 0.16,
    explorationFinalEps: 0.04, netArch: [256, 256],
  },
  'LunarLander-v3': {
    totalTimesteps: 100_000, learningRate: 6.3e-4, batchSize: 128, bufferSize: 50_000, learningStarts: 0,
    gamma: 0.99, targetUpdateInterval: 250, trainFreq: 4, gradientSteps: -1, explorationFraction: 0.12,
    explorationFinalEps: 0.1, netArch: [256, 256],
  },
  'Acrobot-v1': {
    totalTimesteps: 100_000, learningRate: 6.3e-4, batchSize: 128, bufferSize: 50_000, learningStarts: 0,
    gamma: 0.99, targetUpdateInterval: 250, trainFreq: 4, gradientSteps: -1, explorationFraction: 0.12,
    explorationFinalEps: 0.1, netArch: [256, 256],
  },
  'MountainCar-v0': {
    totalTimesteps: 120_000, learningRate: 4e-3, batchSize: 128, bufferSize: 10_000, learningStarts: 1000,
    gamma: 0.98, targetUpdateInterval: 600, trainFreq: 16, gradientSteps: 8, explorationFraction: 0.2,
    explorationFinalEps: 0.07, netArch: [256, 256],
  },
  // MinAtar's DQN network and replay settings (Young & Tian 2019); ε reaches 0.1 after 1e5 steps of this
  // 2e5-step budget. Adam replaces MinAtar's centred RMSProp.
  'MinAtar/Breakout': {
    totalTimesteps: 200_000, learningRate: 2.5e-4, batchSize: 32, bufferSize: 100_000, learningStarts: 5000,
    gamma: 0.99, targetUpdateInterval: 1000, trainFreq: 1, gradientSteps: 1, explorationFraction: 0.5,
    explorationFinalEps: 0.1, netArch: [128], convFilters: 16, checkpointInterval: 20_000,
  },
};

/** SB3's defaults with the env's preset applied (the defaults alone for an env without one). */
export function presetFor(envId: string): DqnConfig {
  return { ...sb3Defaults, ...(PRESETS[envId] ?? {}) };
}

const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Applies overrides given with SB3's snake_case or our camelCase names; unknown keys and wrong types are errors. */
export function applyOverrides(config: DqnConfig, overrides: Record<string, unknown>, where: string): DqnConfig {
  const result: DqnConfig = { ...config, netArch: [...config.netArch] };
  for (const [rawKey, value] of Object.entries(overrides)) {
    const key = (rawKey === 'n_timesteps' ? 'totalTimesteps' : camelCase(rawKey)) as keyof DqnConfig;
    if (!(key in sb3Defaults)) throw new UsageError(`unknown hyperparameter '${rawKey}'`, where);
    const expected = sb3Defaults[key];
    const ok = Array.isArray(expected)
      ? Array.isArray(value) && value.every((v) => Number.isInteger(v) && v > 0)
      : typeof value === typeof expected && (typeof value !== 'number' || Number.isFinite(value));
    if (!ok) throw new UsageError(`hyperparameter '${rawKey}' has the wrong type or value: ${JSON.stringify(value)}`, where);
    (result as unknown as Record<string, unknown>)[key] = value;
  }
  validateConfig(result, where);
  return result;
}

/** Throws UsageError (naming `where`) when a hyperparameter is out of range. */
export function validateConfig(c: DqnConfig, where: string): void {
  const positiveInts: (keyof DqnConfig)[] = ['totalTimesteps', 'bufferSize', 'batchSize', 'trainFreq', 'targetUpdateInterval', 'evalEpisodes', 'checkpointInterval'];
  for (const key of positiveInts) {
    const v = c[key] as number;
    if (!Number.isInteger(v) || v <= 0) throw new UsageError(`${key} must be a positive integer, got ${v}`, where);
  }
  if (!Number.isInteger(c.learningStarts) || c.learningStarts < 0) throw new UsageError(`learningStarts must be ≥ 0`, where);
  if (!Number.isInteger(c.gradientSteps) || (c.gradientSteps <= 0 && c.gradientSteps !== -1)) {
    throw new UsageError(`gradientSteps must be a positive integer or -1, got ${c.gradientSteps}`, where);
  }
  if (!(c.learningRate > 0)) throw new UsageError(`learningRate must be > 0`, where);
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw new UsageError(`gamma must be in [0, 1]`, where);
  if (!(c.tau > 0 && c.tau <= 1)) throw new UsageError(`tau must be in (0, 1]`, where);
  for (const key of ['explorationFraction', 'explorationInitialEps', 'explorationFinalEps'] as const) {
    if (!(c[key] >= 0 && c[key] <= 1)) throw new UsageError(`${key} must be in [0, 1]`, where);
  }
  if (!(c.maxGradNorm > 0)) throw new UsageError(`maxGradNorm must be > 0`, where);
  if (c.netArch.length === 0 && c.convFilters === 0) throw new UsageError('netArch must list at least one hidden layer', where);
}
