// The distillation replay memory: environment transitions plus the teacher's outputs for each state.
import type { Rng } from '../envs/rng.js';
import { ReplayBuffer, type TransitionBatch } from '../rl/replay-buffer.js';
import type { Dataset, DatasetHeader } from './dataset.js';

export interface LabelledBatch extends TransitionBatch {
  targets: Float32Array;
}

export class DistillMemory {
  readonly transitions: ReplayBuffer;
  readonly targets: Float32Array;

  constructor(readonly capacity: number, observationSize: number, readonly actionCount: number) {
    this.transitions = new ReplayBuffer(capacity, observationSize);
    this.targets = new Float32Array(capacity * actionCount);
  }

  get size(): number {
    return this.transitions.size;
  }

  add(observation: Float32Array, action: number, reward: number, next: Float32Array, terminated: boolean, target: Float32Array): void {
    this.targets.set(target, this.transitions.position * this.actionCount);
    this.transitions.add(observation, action, reward, next, terminated);
  }

  sample(batchSize: number, rng: Rng): LabelledBatch {
    const indices = this.transitions.sampleIndices(batchSize, rng);
    const targets = new Float32Array(batchSize * this.actionCount);
    indices.forEach((i, b) => targets.set(this.targets.subarray(i * this.actionCount, (i + 1) * this.actionCount), b * this.actionCount));
    return { ...this.transitions.gather(indices), targets };
  }

  toDataset(header: Omit<DatasetHeader, 'count' | 'kind' | 'version'>): Dataset {
    const t = this.transitions.toArrays();
    return {
      header: { kind: 'qdistill-dataset', version: 1, ...header, count: this.size },
      observations: t.observations as Float32Array,
      nextObservations: t.nextObservations as Float32Array,
      actions: t.actions as Int32Array,
      rewards: t.rewards as Float32Array,
      terminals: t.terminals as Float32Array,
      targets: header.targets === 'none' ? new Float32Array(0) : this.targets.subarray(0, this.size * this.actionCount),
    };
  }

  static fromDataset(d: Dataset): DistillMemory {
    const size = d.header.observationShape.reduce((a, b) => a * b, 1);
    const memory = new DistillMemory(d.header.count, size, d.header.actionCount);
    memory.transitions.restore(d as unknown as Record<string, ArrayLike<number>>, 0);
    if (d.targets.length) memory.targets.set(d.targets);
    return memory;
  }
}
