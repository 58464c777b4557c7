// Uniform experience replay on preallocated typed arrays, written as a ring: once full, the oldest
// transition is overwritten. Observations are float32 (binary pixels included: 1e5 MinAtar frames take
// 160 MB per array, acceptable on the 24 GB machines we target).
import type { Rng } from '../envs/rng.js';

export interface TransitionBatch {
  observations: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  /** 1 where the transition ended in a terminal state (no bootstrap), else 0. Truncation stores 0. */
  terminals: Float32Array;
}

export class ReplayBuffer {
  readonly observations: Float32Array;
  readonly nextObservations: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly terminals: Float32Array;
  /** Next slot to write. */
  position = 0;
  /** Number of valid transitions (≤ capacity). */
  size = 0;

  constructor(readonly capacity: number, readonly observationSize: number) {
    this.observations = new Float32Array(capacity * observationSize);
    this.nextObservations = new Float32Array(capacity * observationSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminals = new Float32Array(capacity);
  }

  add(observation: Float32Array, action: number, reward: number, nextObservation: Float32Array, terminated: boolean): void {
    const i = this.position;
    this.observations.set(observation, i * this.observationSize);
    this.nextObservations.set(nextObservation, i * this.observationSize);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.terminals[i] = terminated ? 1 : 0;
    this.position = (i + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Samples `batchSize` transitions uniformly with replacement (as Stable-Baselines3 does). */
  sample(batchSize: number, rng: Rng): TransitionBatch {
    return this.gather(this.sampleIndices(batchSize, rng));
  }

  sampleIndices(batchSize: number, rng: Rng): Int32Array {
    if (this.size === 0) throw new Error('cannot sample from an empty replay buffer');
    return Int32Array.from({ length: batchSize }, () => rng.int(this.size));
  }

  gather(indices: Int32Array): TransitionBatch {
    const n = this.observationSize;
    const count = indices.length;
    const batch: TransitionBatch = {
      observations: new Float32Array(count * n),
      actions: new Int32Array(count),
      rewards: new Float32Array(count),
      nextObservations: new Float32Array(count * n),
      terminals: new Float32Array(count),
    };
    indices.forEach((i, b) => {
      batch.observations.set(this.observations.subarray(i * n, (i + 1) * n), b * n);
      batch.nextObservations.set(this.nextObservations.subarray(i * n, (i + 1) * n), b * n);
      batch.actions[b] = this.actions[i];
      batch.rewards[b] = this.rewards[i];
      batch.terminals[b] = this.terminals[i];
    });
    return batch;
  }

  /** Arrays and counters for a checkpoint. Only the filled part is saved. */
  toArrays(): Record<string, Float32Array | Int32Array> {
    const n = this.observationSize;
    return {
      observations: this.observations.subarray(0, this.size * n),
      nextObservations: this.nextObservations.subarray(0, this.size * n),
      actions: this.actions.subarray(0, this.size),
      rewards: this.rewards.subarray(0, this.size),
      terminals: this.terminals.subarray(0, this.size),
    };
  }

  restore(arrays: Record<string, ArrayLike<number>>, position: number): void {
    const size = arrays.actions.length;
    if (size > this.capacity || arrays.observations.length !== size * this.observationSize) {
      throw new Error('replay buffer in the checkpoint does not fit this configuration');
    }
    this.observations.set(arrays.observations);
    this.nextObservations.set(arrays.nextObservations);
    this.actions.set(arrays.actions);
    this.rewards.set(arrays.rewards);
    this.terminals.set(arrays.terminals);
    this.size = size;
    this.position = position;
  }
}
