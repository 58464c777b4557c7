// Deep Q-Network (Mnih et al. 2015) with the options Stable-Baselines3 users know, in one loop that reads
// top to bottom like CleanRL's dqn.py: act ε-greedily, store the transition, every trainFreq steps take
// gradient steps on a Huber TD loss, copy (or Polyak-average) the target network, checkpoint.
// Truncated episodes bootstrap from their last observation; terminated ones do not.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { greedyAction } from '../tfjs/greedy.js';
import { buildQNetwork, type NetworkConfig } from '../tfjs/networks.js';
import { UsageError } from '../util/errors.js';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import type { DqnConfig } from './presets.js';
import { ReplayBuffer, type TransitionBatch } from '../rollout/replay-buffer.js';
import { epsilonAt } from './schedules.js';

export const CHECKPOINT_FILE = 'checkpoint.qdb';

export interface TrainProgress {
  step: number;
  totalSteps: number;
  episodes: number;
  /** Mean return of the last 100 finished episodes (null before the first one ends). */
  meanReturn100: number | null;
  epsilon: number;
  stepsPerSecond: number;
  etaSeconds: number;
  loss: number | null;
}

export interface TrainRun {
  envId: string;
  config: DqnConfig;
  seed: number;
  outDir: string;
  resume: boolean;
  /** The checkpoint to resume from, already read (train() reads it to pick its backend); else read from outDir. */
  checkpoint?: LoadedCheckpoint;
  /** The tfjs backend in use, recorded in checkpoints so that a resume trains on the same one. */
  backend?: string;
  onProgress?: (p: TrainProgress) => void;
  /** Called after each checkpoint is on disk (tests use it to interrupt a run). */
  onCheckpoint?: (step: number) => void;
}

export interface TrainResult {
  qNetwork: tf.LayersModel;
  buffer: ReplayBuffer;
  steps: number;
  episodes: number;
  wallSeconds: number;
  stepsPerSecond: number;
  resumedFromStep: number | null;
  recentReturns: number[];
}

export function networkConfig(config: DqnConfig): NetworkConfig {
  return { hidden: config.netArch, dueling: config.dueling, convFilters: config.convFilters || undefined };
}

/** r + γ·(1 − terminal)·Q_target(s', a*) with a* = argmax Q_target (or argmax Q_online for Double DQN). */
export function tdTargets(
  qNetwork: tf.LayersModel,
  targetNetwork: tf.LayersModel,
  batch: TransitionBatch,
  shape: number[],
  config: Pick<DqnConfig, 'gamma' | 'doubleQ'>,
): tf.Tensor1D {
  return tf.tidy(() => {
    const n = batch.actions.length;
    const nextObservations = tf.tensor(batch.nextObservations, [n, ...shape]);
    const nextQ = targetNetwork.predict(nextObservations) as tf.Tensor2D;
    const nextValue = config.doubleQ
      ? tf.sum(tf.mul(nextQ, tf.oneHot((qNetwork.predict(nextObservations) as tf.Tensor2D).argMax(1), nextQ.shape[1])), 1)
      : tf.max(nextQ, 1);
    const notTerminal = tf.sub(1, tf.tensor1d(batch.terminals));
    return tf.add(tf.tensor1d(batch.rewards), tf.mul(config.gamma, tf.mul(notTerminal, nextValue))) as tf.Tensor1D;
  });
}

/** Huber loss between Q(s, a) of the online network and fixed targets (SB3's smooth_l1_loss, mean). */
export function qLoss(qNetwork: tf.LayersModel, observations: Float32Array, actions: Int32Array, targets: tf.Tensor1D, shape: number[]): tf.Scalar {
  const n = actions.length;
  const q = qNetwork.apply(tf.tensor(observations, [n, ...shape]), { training: true }) as tf.Tensor2D;
  const qTaken = tf.sum(tf.mul(q, tf.oneHot(tf.tensor1d(actions, 'int32'), q.shape[1])), 1);
  return tf.losses.huberLoss(targets, qTaken) as tf.Scalar;
}

/** One Adam step on the TD loss with the gradients' global norm clipped to maxGradNorm. Returns the loss. */
function gradientStep(
  qNetwork: tf.LayersModel,
  targetNetwork: tf.LayersModel,
  optimizer: tf.Optimizer,
  batch: TransitionBatch,
  shape: number[],
  config: DqnConfig,
): tf.Scalar {
  return tf.tidy(() => {
    const targets = tdTargets(qNetwork, targetNetwork, batch, shape, config);
    const variables = qNetwork.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => qLoss(qNetwork, batch.observations, batch.actions, targets, shape), variables);
    const list = variables.map((v) => grads[v.name]);
    const globalNorm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(config.maxGradNorm, tf.add(globalNorm, 1e-6)));
    optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: tf.mul(list[i], scale) })));
    return tf.keep(value);
  });
}

function updateTarget(qNetwork: tf.LayersModel, targetNetwork: tf.LayersModel, tau: number): void {
  tf.tidy(() => {
    const online = qNetwork.getWeights();
    const target = targetNetwork.getWeights();
    targetNetwork.setWeights(tau >= 1 ? online : online.map((w, i) => tf.add(tf.mul(tau, w), tf.mul(1 - tau, target[i]))));
  });
}

export async function trainDqn(run: TrainRun): Promise<TrainResult> {
  const { envId, config, seed } = run;
  const env = makeEnv(envId);
  const shape = env.spec.observationShape;
  const actionCount = env.spec.actionCount;
  const rng = new Rng(seed); // exploration and replay sampling

  const qNetwork = buildQNetwork(env.spec, networkConfig(config), seed);
  const targetNetwork = buildQNetwork(env.spec, networkConfig(config), seed);
  targetNetwork.setWeights(qNetwork.getWeights());
  const optimizer = tf.train.adam(config.learningRate, 0.9, 0.999, 1e-8);
  const buffer = new ReplayBuffer(config.bufferSize, observationSize(env.spec));
  const gradientStepsPerRound = config.gradientSteps === -1 ? config.trainFreq : config.gradientSteps;

  let step = 0;
  let episode = 0;
  let previousWallSeconds = 0;
  let recentReturns: number[] = [];
  let resumedFromStep: number | null = null;
  const checkpointPath = join(run.outDir, CHECKPOINT_FILE);
  if (run.checkpoint || (run.resume && existsSync(checkpointPath))) {
    const checkpoint = run.checkpoint ?? readCheckpoint(checkpointPath);
    if (checkpoint.meta.envId !== envId || checkpoint.meta.seed !== seed || JSON.stringify(checkpoint.meta.config.netArch) !== JSON.stringify(config.netArch)) {
      throw new UsageError(`checkpoint was made for ${checkpoint.meta.envId} seed ${checkpoint.meta.seed}; pass the same env, seed and network to resume`, checkpointPath);
    }
    const meta = await restoreCheckpoint(checkpoint, { qNetwork, targetNetwork, optimizer, buffer });
    ({ step, episode, recentReturns } = meta);
    previousWallSeconds = meta.wallSeconds;
    rng.setState(meta.rngState);
    resumedFromStep = step;
  }

  const startedAt = performance.now();
  const startStep = step;
  const wallSeconds = () => previousWallSeconds + (performance.now() - startedAt) / 1000;
  const schedule = { initial: config.explorationInitialEps, final: config.explorationFinalEps, fraction: config.explorationFraction, totalSteps: config.totalTimesteps };
  let lastLoss: tf.Scalar | null = null;
  let lastReport = 0;
  const report = async (force: boolean) => {
    const now = performance.now();
    if (!run.onProgress || (!force && now - lastReport < 1000)) return;
    lastReport = now;
    const stepsPerSecond = (step - startStep) / Math.max((now - startedAt) / 1000, 1e-9);
    run.onProgress({
      step,
      totalSteps: config.totalTimesteps,
      episodes: episode,
      meanReturn100: recentReturns.length ? recentReturns.reduce((a, b) => a + b, 0) / recentReturns.length : null,
      epsilon: epsilonAt(step, schedule),
      stepsPerSecond,
      etaSeconds: (config.totalTimesteps - step) / Math.max(stepsPerSecond, 1e-9),
      loss: lastLoss ? (await lastLoss.data())[0] : null,
    });
  };

  let observation = env.reset(deriveSeed(seed, episode));
  let episodeReturn = 0;
  while (step < config.totalTimesteps) {
    // 1. Act ε-greedily and store the transition.
    const epsilon = epsilonAt(step, schedule);
    const action = rng.random() < epsilon ? rng.int(actionCount) : await greedyAction(qNetwork, observation, shape);
    const { observation: nextObservation, reward, terminated, truncated } = env.step(action);
    buffer.add(observation, action, reward, nextObservation, terminated);
    episodeReturn += reward;
    observation = nextObservation;
    if (terminated || truncated) {
      recentReturns = [...recentReturns.slice(-99), episodeReturn];
      episode++;
      episodeReturn = 0;
      observation = env.reset(deriveSeed(seed, episode));
    }
    step++;

    // 2. Learn from replayed transitions.
    if (step > config.learningStarts && step % config.trainFreq === 0) {
      for (let g = 0; g < gradientStepsPerRound; g++) {
        lastLoss?.dispose();
        lastLoss = gradientStep(qNetwork, targetNetwork, optimizer, buffer.sample(config.batchSize, rng), shape, config);
      }
    }

    // 3. Keep the target network behind the online one.
    if (step % config.targetUpdateInterval === 0) updateTarget(qNetwork, targetNetwork, config.tau);

    // 4. Checkpoint; an interrupted episode restarts from its seed on resume.
    if (step % config.checkpointInterval === 0 && step < config.totalTimesteps) {
      await saveCheckpoint(
        checkpointPath,
        { envId, seed, config, step, episode, wallSeconds: wallSeconds(), recentReturns, rngState: rng.getState(), bufferPosition: buffer.position, backend: run.backend },
        { qNetwork, targetNetwork, optimizer, buffer },
      );
      run.onCheckpoint?.(step);
      // A resumed run restarts the current episode from its seed; doing the same here makes an
      // interrupted-and-resumed run identical to an uninterrupted one.
      observation = env.reset(deriveSeed(seed, episode));
      episodeReturn = 0;
    }
    await report(false);
  }
  await report(true);
  env.close?.();
  lastLoss?.dispose();
  targetNetwork.dispose();
  optimizer.dispose();
  const total = wallSeconds();
  return {
    qNetwork,
    buffer,
    steps: step,
    episodes: episode,
    wallSeconds: total,
    stepsPerSecond: (step - startStep) / Math.max(total - previousWallSeconds, 1e-9),
    resumedFromStep,
    recentReturns,
  };
}
