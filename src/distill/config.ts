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
  /**
   * kl and dqn+kl: τ dividing the teacher's Q-values before the softmax; low values sharpen it. 'auto'
   * (default): relativeTemperature × the teacher's Q scale (the median over its first round's states of
   * max − min Q), so that it means the same for Q-values of 5 and of 300.
   */
  temperature: number | 'auto';
  /** With temperature 'auto': τ as a share of the teacher's Q scale (default 1: the median state's best and worst actions 1 nat apart). */
  relativeTemperature: number;
  /** Weight of the distillation term in dqn+kl (default 0.2). */
  lambda: number;
  /** dqn+kl: discount of the TD term (default 0.99). */
  gamma: number;
  /** Who plays while the memory fills (default student: DAgger, the teacher's first round, then the student plays and the teacher labels). */
  collect: CollectMode;
  /** Transitions the memory holds; once full the oldest are overwritten (default 50,000). */
  memorySize: number;
  /** Most collect → train → evaluate rounds; fewer when the stop rule is met (default 20). */
  rounds: number;
  /** Environment steps collected per round (default 2000). */
  stepsPerRound: number;
  /**
   * Envs played side by side while collecting and in the final evaluations, one policy call and one env call for all of them per step (default 1).
   * More envs see more episodes per round; for a gym: env, one round trip to Python steps them all.
   */
  numEnvs: number;
  /** Adam steps on minibatches of the memory per round (default 500). */
  gradientStepsPerRound: number;
  /** States per minibatch (default 64). */
  batchSize: number;
  /** Adam's learning rate (default 3e-3). */
  learningRate: number;
  /**
   * Episodes the student and the teacher both play after each round, from the same seeds, for the stop rule
   * (default 100; at least 10).
   */
  evalEpisodes: number;
  /**
   * The stop rule's margin, as a share of the teacher's gain over a random policy on those episodes: the run
   * stops once the student is, at stopConfidence, not worse than the teacher by more than this (default 0.05).
   */
  stopMargin: number;
  /**
   * Confidence of the stop rule over all rounds together (default 0.95): each round's check is made at
   * 1 − (1 − stopConfidence)/rounds (Bonferroni), so a student worse by more than the margin stops with
   * probability at most 1 − stopConfidence however many rounds there are.
   */
  stopConfidence: number;
  /** Seed of the student's initialization, the minibatches and the collection (default 1). */
  seed: number;
}

/** The trainer's defaults, for everything but the student's shape. */
export const DEFAULT_DISTILL: Omit<DistillConfig, 'hidden' | 'convFilters'> = {
  loss: 'kl',
  temperature: 'auto',
  relativeTemperature: 1,
  lambda: 0.2,
  gamma: 0.99,
  collect: 'student',
  memorySize: 50_000,
  rounds: 20,
  stepsPerRound: 2000,
  numEnvs: 1,
  gradientStepsPerRound: 500,
  batchSize: 64,
  learningRate: 3e-3,
  evalEpisodes: 100,
  stopMargin: 0.05,
  stopConfidence: 0.95,
  seed: 1,
};

/** Offline distillation (`distill --observations`): the default share of the states held out of training, on which fidelity is measured. */
export const DEFAULT_HELD_OUT_SHARE = 0.2;
