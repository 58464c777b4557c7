// Labelled states for distillation: observations with the teacher's outputs (and the transitions they came
// from, for the dqn+kl loss), in one bundle file whose JSON header says what it holds, so a sweep labels once
// and every student reuses the labels. Demonstrations (`qdistill record`) use the same format.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { readBundle, writeBundle } from '../util/tensor-bundle.js';

export interface DatasetHeader {
  kind: 'qdistill-dataset';
  version: 1;
  env: string;
  observationShape: number[];
  actionCount: number;
  count: number;
  /** sha256 (first 16 hex digits) of the teacher file, or of the policy that recorded demonstrations. */
  teacherHash: string;
  /**
   * What `targets` holds: the teacher's Q-values (or logits); 'actions': one-hot rows of the actions of a
   * teacher that gives actions only (learnt by behaviour cloning); or nothing for demonstrations.
   */
  targets: 'q_values' | 'logits' | 'actions' | 'none';
  /** Who chose the actions while collecting. */
  source: 'teacher' | 'student' | 'mixed' | 'demonstrations';
}

export interface Dataset {
  header: DatasetHeader;
  observations: Float32Array;
  /** count × actionCount teacher outputs (one-hot rows for an actions-only teacher; empty for demonstrations). */
  targets: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  terminals: Float32Array;
}

export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

export function writeDataset(path: string, d: Dataset): void {
  const { header, ...arrays } = d;
  writeBundle<DatasetHeader>(path, { meta: header, arrays });
}

export function readDataset(path: string): Dataset {
  const { meta, arrays } = readBundle<DatasetHeader>(path);
  const bad = (what: string) => new UsageError(`not a qdistill dataset: ${what}`, path);
  if (meta?.kind !== 'qdistill-dataset' || meta.version !== 1) throw bad('wrong header');
  const size = meta.observationShape.reduce((a, b) => a * b, 1);
  const n = meta.count;
  const expect: [string, number][] = [
    ['observations', n * size],
    ['nextObservations', n * size],
    ['targets', meta.targets === 'none' ? 0 : n * meta.actionCount],
    ['actions', n],
    ['rewards', n],
    ['terminals', n],
  ];
  for (const [name, length] of expect) {
    if (arrays[name]?.length !== length) throw bad(`'${name}' holds ${arrays[name]?.length ?? 0} values, expected ${length}`);
  }
  if (n === 0) throw new UsageError('the dataset is empty', path);
  return {
    header: meta,
    observations: arrays.observations as Float32Array,
    targets: arrays.targets as Float32Array,
    actions: arrays.actions as Int32Array,
    rewards: arrays.rewards as Float32Array,
    nextObservations: arrays.nextObservations as Float32Array,
    terminals: arrays.terminals as Float32Array,
  };
}
