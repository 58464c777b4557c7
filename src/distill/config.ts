// The student trainer's settings and their defaults, apart from the trainer so that `--help` loads no tfjs.
import type { CollectMode } from './collect.js';
import type { LossName } from './loss-names.js';

/** The student trainer's settings: the student's shape, the loss, how states are collected and the training budget. */
export interface DistillConfig {
  /** Student hidden layer sizes. */
  hidden: number[];
  /** MinAtar CNN students: conv filters (the teacher's 16 × width multiplier); 0 for MLPs. */
  convFilters: number;
  /** What the student learns from the teacher (default kl; nll when learning from demonstrations). */
  loss: LossName;
  /** kl and dqn+kl: τ dividing the teacher's Q-values before the softmax; low values sharpen it (default 0.01). */
  temperature: number;
  /** Weight of the distillation term in dqn+kl (default 0.2). */
  lambda: number;
  /** dqn+kl: discount of the TD term (default 0.99). */
  gamma: number;
  /** Who plays while the memory fills (default teacher). */
  collect: CollectMode;
  /** Transitions the memory holds; once full the oldest are overwritten (default 50,000). */
  memorySize: number;
  /** Most collect → train → evaluate rounds; fewer when the early stop is reached (default 10). */
  rounds: number;
  /** Environment steps collected per round (default 2000). */
  stepsPerRound: number;
  /** Adam steps on minibatches of the memory per round (default 500). */
  gradientStepsPerRound: number;
  /** States per minibatch (default 64). */
  batchSize: number;
  /** Adam's learning rate (default 1e-3). */
  learningRate: number;
  /** Greedy episodes after each round to decide early stopping (default 10). */
  evalEpisodes: number;
  /** Seed of the student's initialization, the minibatches and the collection (default 1). */
  seed: number;
}

/** The trainer's defaults, for everything but the student's shape. */
export const DEFAULT_DISTILL: Omit<DistillConfig, 'hidden' | 'convFilters'> = {
  loss: 'kl',
  temperature: 0.01,
  lambda: 0.2,
  gamma: 0.99,
  collect: 'teacher',
  memorySize: 50_000,
  rounds: 10,
  stepsPerRound: 2000,
  gradientStepsPerRound: 500,
  batchSize: 64,
  learningRate: 1e-3,
  evalEpisodes: 10,
  seed: 1,
};

