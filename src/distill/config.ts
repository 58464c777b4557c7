// The student trainer's settings and their defaults, apart from the trainer so that `--help` loads no tfjs.
import type { CollectMode } from './collect.js';
import type { LossName } from './loss-names.js';

export interface DistillConfig {
  /** Student hidden layer sizes. */
  hidden: number[];
  /** MinAtar CNN students: conv filters (the teacher's 16 × width multiplier); 0 for MLPs. */
  convFilters: number;
  loss: LossName;
  temperature: number;
  /** Weight of the distillation term in dqn+kl. */
  lambda: number;
  gamma: number;
  collect: CollectMode;
  memorySize: number;
  rounds: number;
  /** Environment steps collected per round. */
  stepsPerRound: number;
  gradientStepsPerRound: number;
  batchSize: number;
  learningRate: number;
  /** Greedy episodes after each round to decide early stopping. */
  evalEpisodes: number;
  seed: number;
}

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

