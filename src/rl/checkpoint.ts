// Everything a DQN run needs to continue after a crash, in one bundle file written atomically: both networks,
// Adam's moments and its bias-correction powers, the replay buffer, the random stream, the counters and the
// backend the run trained on. With those, a resumed run continues bit for bit where the uninterrupted one
// would be (docs/internals.md, "Resuming training": what differed before and what still can).
// A checkpoint is checked before it is used: its counters, its arrays' shapes against the network, and every
// float in it finite — a diverged run's NaN weights must not resume silently.
import * as tf from '@tensorflow/tfjs';
import type { RngState } from '../envs/rng.js';
import { UsageError } from '../util/errors.js';
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
  /** The tfjs backend the run trained on (absent in checkpoints written before it was recorded). */
  backend?: string;
}

export interface TrainingState {
  qNetwork: tf.LayersModel;
  targetNetwork: tf.LayersModel;
  optimizer: tf.Optimizer;
  buffer: ReplayBuffer;
}

/** A checkpoint read and checked, with the file it came from. */
export interface LoadedCheckpoint {
  path: string;
  meta: CheckpointMeta;
  arrays: Record<string, BundleArray>;
}

/** The array holding Adam's β1^t and β2^t as the running float32 products the uninterrupted run has. */
const ADAM_POWERS = 'adam-powers';

/**
 * tfjs's Adam keeps β1^t and β2^t as running float32 products (accBeta1, accBeta2), and its setWeights
 * recomputes them as pow(β, t + 1), which differs from the product in the last bits: saved and restored as
 * they are, the first step after a resume is the same as the uninterrupted run's. Private fields of
 * AdamOptimizer (tfjs-core 4.x); an optimizer without them is saved without the powers.
 */
interface AdamPowers {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

function adamPowers(optimizer: tf.Optimizer): [tf.Variable, tf.Variable] | null {
  const { accBeta1, accBeta2 } = optimizer as unknown as AdamPowers;
  return accBeta1 instanceof tf.Variable && accBeta2 instanceof tf.Variable ? [accBeta1, accBeta2] : null;
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
  const powers = adamPowers(s.optimizer);
  if (powers) arrays[ADAM_POWERS] = Float32Array.from([(await powers[0].data())[0], (await powers[1].data())[0]]);
  for (const [name, array] of Object.entries(s.buffer.toArrays())) arrays[`buffer/${name}`] = array;
  writeBundle<CheckpointMeta>(path, { meta: { ...meta, version: 1, shapes }, arrays });
}

/** What an array of the checkpoint holds, in words. */
function describeArray(name: string): string {
  if (name.startsWith('q/')) return "the Q-network's weights";
  if (name.startsWith('target/')) return "the target network's weights";
  if (name.startsWith('adam')) return "Adam's optimizer state";
  if (name.startsWith('buffer/')) return 'the replay buffer';
  return name;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Refuses a checkpoint whose counters are not what saveCheckpoint writes, or that holds a NaN or ±Infinity. */
function checkCheckpoint(path: string, meta: CheckpointMeta, arrays: Record<string, BundleArray>): void {
  const damaged = (what: string) => new UsageError(`checkpoint is damaged: ${what}; train again without --resume`, path);
  if (meta?.version !== 1) throw damaged(`version ${JSON.stringify(meta?.version)}, expected 1`);
  if (!isCount(meta.step) || !isCount(meta.episode) || !isCount(meta.bufferPosition)) throw damaged('its step, episode or buffer counters are not counts');
  if (!Array.isArray(meta.rngState) || meta.rngState.length !== 4 || !meta.rngState.every((v) => Number.isInteger(v))) throw damaged('its random generator state is not four integers');
  if (!Array.isArray(meta.recentReturns) || !meta.recentReturns.every((r) => typeof r === 'number' && Number.isFinite(r))) throw damaged('its recent returns are not finite numbers');
  if (typeof meta.wallSeconds !== 'number' || !Number.isFinite(meta.wallSeconds)) throw damaged('its wall time is not a number');
  if (!meta.shapes || typeof meta.shapes !== 'object') throw damaged('it has no tensor shapes');
  for (const [name, array] of Object.entries(arrays)) {
    if (!(array instanceof Float32Array || array instanceof Float64Array)) continue;
    for (let i = 0; i < array.length; i++) {
      if (!Number.isFinite(array[i])) {
        throw new UsageError(
          `checkpoint holds ${array[i]} in ${describeArray(name)} (${name}, element ${i}): the run diverged before it was saved and cannot be resumed; train again without --resume (a lower --learning-rate or --max-grad-norm may help)`,
          path,
        );
      }
    }
  }
}

/** Reads and checks a checkpoint (see checkCheckpoint); every problem is a one-line UsageError naming the file. */
export function readCheckpoint(path: string): LoadedCheckpoint {
  const { meta, arrays } = readBundle<CheckpointMeta>(path);
  checkCheckpoint(path, meta, arrays);
  return { path, meta, arrays };
}

/** The tensors `prefix/0`, `prefix/1`, … with their saved shapes, checked against the shapes `expected` (if given). */
function tensorsWithPrefix(checkpoint: LoadedCheckpoint, prefix: string, expected?: number[][]): tf.Tensor[] {
  const { meta, arrays, path } = checkpoint;
  const result: tf.Tensor[] = [];
  for (let i = 0; `${prefix}/${i}` in arrays; i++) {
    const name = `${prefix}/${i}`;
    const shape = meta.shapes[name];
    const array = arrays[name];
    if (!Array.isArray(shape) || !shape.every(isCount) || shape.reduce((a, b) => a * b, 1) !== array.length) {
      result.forEach((t) => t.dispose());
      throw new UsageError(`checkpoint is damaged: ${name} does not match its recorded shape; train again without --resume`, path);
    }
    result.push(tf.tensor(array as Float32Array, shape));
  }
  if (expected) {
    const fits = result.length === expected.length && result.every((t, i) => t.shape.length === expected[i].length && t.shape.every((d, j) => d === expected[i][j]));
    if (!fits) {
      result.forEach((t) => t.dispose());
      throw new UsageError(`checkpoint's ${describeArray(`${prefix}/`)} do not fit this network (${describeShapes(result.map((t) => t.shape))} saved, ${describeShapes(expected)} here); pass the same network to resume`, path);
    }
  }
  return result;
}

function describeShapes(shapes: number[][]): string {
  return shapes.map((s) => `[${s.join('×')}]`).join(' ');
}

/** Loads weights, optimizer state and buffer into freshly built objects; returns the saved counters. */
export async function restoreCheckpoint(checkpoint: LoadedCheckpoint, s: TrainingState): Promise<CheckpointMeta> {
  const { meta, arrays } = checkpoint;
  const shapes = s.qNetwork.getWeights().map((w) => w.shape);
  for (const [prefix, model] of [['q', s.qNetwork], ['target', s.targetNetwork]] as const) {
    const tensors = tensorsWithPrefix(checkpoint, prefix, shapes);
    model.setWeights(tensors); // assign shares the data: the tensors can go
    tensors.forEach((t) => t.dispose());
  }
  const adam = tensorsWithPrefix(checkpoint, 'adam');
  if (adam.length > 0) {
    // The iteration count, then the two moments per weight — or the count alone before the first step.
    if (adam.length !== 1 && adam.length !== 1 + 2 * shapes.length) throw new UsageError(`checkpoint is damaged: Adam's state has ${adam.length} tensors, this network needs ${1 + 2 * shapes.length}; train again without --resume`, checkpoint.path);
    // Adam matches its moments to variables by position; names only need to be unique.
    await s.optimizer.setWeights(adam.map((tensor, i) => ({ name: `restored_${i}`, tensor })));
    adam[0].dispose(); // the iteration count is read, the moments become the optimizer's variables
    const powers = adamPowers(s.optimizer);
    const saved = arrays[ADAM_POWERS];
    if (powers && saved?.length === 2) {
      tf.tidy(() => {
        powers[0].assign(tf.scalar(saved[0]));
        powers[1].assign(tf.scalar(saved[1]));
      });
    }
  }
  const buffer: Record<string, BundleArray> = {};
  for (const [name, array] of Object.entries(arrays)) if (name.startsWith('buffer/')) buffer[name.slice(7)] = array;
  if (meta.bufferPosition >= s.buffer.capacity) throw new UsageError(`checkpoint's replay buffer position ${meta.bufferPosition} lies outside this --buffer-size ${s.buffer.capacity}; pass the same --buffer-size to resume`, checkpoint.path);
  try {
    s.buffer.restore(buffer, meta.bufferPosition);
  } catch (error) {
    throw new UsageError(`checkpoint's ${(error as Error).message.replace(/ in the checkpoint/, '')}; pass the same --buffer-size to resume`, checkpoint.path);
  }
  return meta;
}
