// Everything a DQN run needs to continue after a crash, in one bundle file written atomically:
// both networks, Adam's moments, the replay buffer, the random stream and the counters.
// Checkpoints restart the interrupted episode from its seed, so at most one checkpoint interval is lost.
import * as tf from '@tensorflow/tfjs';
import type { RngState } from '../envs/rng.js';
import { readBundle, writeBundle, type BundleArray } from '../util/tensor-bundle.js';
import type { DqnConfig } from './presets.js';
import type { ReplayBuffer } from '../rollout/replay-buffer.js';

export interface CheckpointMeta {
  version: 1;
  envId: string;
  seed: number;
  config: DqnConfig;
  step: number;
  episode: number;
  wallSeconds: number;
  recentReturns: number[];
  rngState: RngState;
  bufferPosition: number;
  shapes: Record<string, number[]>;
}

export interface TrainingState {
  qNetwork: tf.LayersModel;
  targetNetwork: tf.LayersModel;
  optimizer: tf.Optimizer;
  buffer: ReplayBuffer;
}

export async function saveCheckpoint(path: string, meta: Omit<CheckpointMeta, 'shapes' | 'version'>, s: TrainingState): Promise<void> {
  const arrays: Record<string, BundleArray> = {};
  const shapes: Record<string, number[]> = {};
  // Read asynchronously: the webgpu backend cannot read synchronously in Node.
  const put = async (name: string, t: tf.Tensor) => {
    arrays[name] = (await t.data()) as Float32Array;
    shapes[name] = t.shape;
  };
  for (const [i, w] of s.qNetwork.getWeights().entries()) await put(`q/${i}`, w);
  for (const [i, w] of s.targetNetwork.getWeights().entries()) await put(`target/${i}`, w);
  for (const [i, w] of (await s.optimizer.getWeights()).entries()) await put(`adam/${i}`, w.tensor);
  for (const [name, array] of Object.entries(s.buffer.toArrays())) arrays[`buffer/${name}`] = array;
  writeBundle<CheckpointMeta>(path, { meta: { ...meta, version: 1, shapes }, arrays });
}

function tensorsWithPrefix(prefix: string, meta: CheckpointMeta, arrays: Record<string, BundleArray>): tf.Tensor[] {
  const result: tf.Tensor[] = [];
  for (let i = 0; `${prefix}/${i}` in arrays; i++) {
    result.push(tf.tensor(arrays[`${prefix}/${i}`] as Float32Array, meta.shapes[`${prefix}/${i}`]));
  }
  return result;
}

export function readCheckpointMeta(path: string): { meta: CheckpointMeta; arrays: Record<string, BundleArray> } {
  return readBundle<CheckpointMeta>(path);
}

/** Loads weights, optimizer moments and buffer into freshly built objects; returns the saved counters. */
export async function restoreCheckpoint(
  checkpoint: { meta: CheckpointMeta; arrays: Record<string, BundleArray> },
  s: TrainingState,
): Promise<CheckpointMeta> {
  const { meta, arrays } = checkpoint;
  s.qNetwork.setWeights(tensorsWithPrefix('q', meta, arrays));
  s.targetNetwork.setWeights(tensorsWithPrefix('target', meta, arrays));
  const adam = tensorsWithPrefix('adam', meta, arrays);
  if (adam.length > 0) {
    // Adam matches its moments to variables by position; names only need to be unique.
    await s.optimizer.setWeights(adam.map((tensor, i) => ({ name: `restored_${i}`, tensor })));
  }
  const buffer: Record<string, BundleArray> = {};
  for (const [name, array] of Object.entries(arrays)) if (name.startsWith('buffer/')) buffer[name.slice(7)] = array;
  s.buffer.restore(buffer, meta.bufferPosition);
  return meta;
}
