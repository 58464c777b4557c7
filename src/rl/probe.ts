// The workload `--backend auto` times and the wasm kernel check compares: this run's network and
// Q-loss on one batch of real transitions from a random policy.
import * as tf from '@tensorflow/tfjs';
import { makeEnv } from '../envs/registry.js';
import { Rng } from '../envs/rng.js';
import type { TrainingProbe } from '../tfjs/choose-backend.js';
import { buildQNetwork } from '../tfjs/networks.js';
import { networkConfig, qLoss } from './dqn.js';
import type { DqnConfig } from './presets.js';

export function makeTrainingProbe(envId: string, config: DqnConfig, seed: number): TrainingProbe {
  const env = makeEnv(envId);
  const rng = new Rng(seed);
  const n = config.batchSize;
  const size = env.spec.observationShape.reduce((a, b) => a * b, 1);
  const observations = new Float32Array(n * size);
  const actions = new Int32Array(n);
  const targets = new Float32Array(n);
  let observation = env.reset(seed);
  for (let i = 0; i < n; i++) {
    observations.set(observation, i * size);
    actions[i] = rng.int(env.spec.actionCount);
    const result = env.step(actions[i]);
    targets[i] = result.reward + rng.normal();
    observation = result.terminated || result.truncated ? env.reset() : result.observation;
  }
  env.close?.();
  return {
    build: () => buildQNetwork(env.spec, networkConfig(config), seed),
    loss: (model) => qLoss(model, observations, actions, tf.tensor1d(targets), env.spec.observationShape),
  };
}
