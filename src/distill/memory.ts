// The distillation replay memory: environment transitions plus the teacher's outputs for each state.
import type { Rng } from '../envs/rng.js';
import { ReplayBuffer, type TransitionBatch } from '../rollout/replay-buffer.js';
import type { Dataset, DatasetHeader } from '../policy/dataset.js';

export interface LabelledBatch extends TransitionBatch {
  targets: Float32Array;
}

export class DistillMemory {
  readonly transitions: ReplayBuffer;
  readonly targets: Float32Array;

  /**
   * @param labelled false for demonstrations: recorded actions without teacher outputs.
   */
  constructor(readonly capacity: number, observationSize: number, readonly actionCount: number, readonly labelled = true) {
    this.transitions = new ReplayBuffer(capacity, observationSize);
    this.targets = new Float32Array(labelled ? capacity * actionCount : 0);
  }

  get size(): number {
    return this.transitions.size;
  }

  add(observation: Float32Array, action: number, reward: number, next: Float32Array, terminated: boolean, target: Float32Array): void {
    if (this.labelled) this.targets.set(target, this.transitions.position * this.actionCount);
    this.transitions.add(observation, action, reward, next, terminated);
  }

  sample(batchSize: number, rng: Rng): LabelledBatch {
    const indices = this.transitions.sampleIndices(batchSize, rng);
    const targets = new Float32Array(this.labelled ? batchSize * this.actionCount : 0);
    if (this.labelled) indices.forEach((i, b) => targets.set(this.targets.subarray(i * this.actionCount, (i + 1) * this.actionCount), b * this.actionCount));
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
      targets: this.targets.subarray(0, this.labelled ? this.size * this.actionCount : 0),
    };
  }

  static fromDataset(d: Dataset): DistillMemory {
    const size = d.header.observationShape.reduce((a, b) => a * b, 1);
    const memory = new DistillMemory(d.header.count, size, d.header.actionCount, d.header.targets !== 'none');
    memory.transitions.restore(d as unknown as Record<string, ArrayLike<number>>, 0);
    if (d.targets.length) memory.targets.set(d.targets);
    return memory;
  }
}
