// A Policy over any onnxruntime InferenceSession: onnxruntime-node and onnxruntime-web share onnxruntime-common's
// interface, so the runtimes that differ only in how the session is made (ort-wasm, ort-cuda, ort-webgpu) share
// the input checks and the HWC → CHW step here. The types are structural so that neither package is imported.
import { observationSize, type EnvSpec } from '../envs/types.js';
import { type Policy } from './policy.js';
import { argmax } from '../policy/agreement.js';
import { type PolicyFileInfo } from '../policy/file.js';
import { hwcToChw } from '../envs/layout.js';
import { UsageError } from '../util/errors.js';

export interface SessionLike {
  run(feeds: Record<string, never>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

/** Makes the float32 input tensor of the package the session came from. */
export type Float32TensorMaker = (data: Float32Array, dims: number[]) => unknown;

/** The per-observation shape the file takes: the env's own, or CHW for files exported as NCHW. */
export function fileObservationShape(spec: EnvSpec, info: PolicyFileInfo): number[] {
  const [h, w, c] = spec.observationShape;
  return info.inputLayout === 'nchw' ? [c, h, w] : [...spec.observationShape];
}

export function checkObservationLength(spec: EnvSpec, observations: Float32Array, batch: number): void {
  const perObservation = observationSize(spec);
  if (!Number.isInteger(batch) || batch < 1 || observations.length !== batch * perObservation) {
    throw new RangeError(`expected ${batch} × ${perObservation} values, got ${observations.length}`);
  }
}

/** The observations as the file wants them (a copy in CHW order for NCHW files, else the same array). */
export function toFileLayout(spec: EnvSpec, info: PolicyFileInfo, observations: Float32Array, batch: number): Float32Array {
  return info.inputLayout === 'nchw' ? hwcToChw(observations, batch, spec.observationShape) : observations;
}

/**
 * For an actions policy (info.output 'actions'), throws a UsageError when its one-hot output does not hold
 * one action of 0..actionCount−1 for each of the `batch` observations (the file gave an action the env does
 * not have, or not one action per observation); returns `rows` unchanged.
 */
export function checkActionRows(rows: Float32Array, info: PolicyFileInfo, batch: number): Float32Array {
  if (info.output !== 'actions') return rows;
  const n = info.actionCount;
  if (rows.length !== batch * n) throw new UsageError(`output '${info.outputName}' gave ${rows.length / n} actions for ${batch} observation${batch === 1 ? '' : 's'}; an actions output holds one action per observation`);
  for (let r = 0; r < batch; r++) {
    let ones = 0;
    for (let a = 0; a < n; a++) ones += rows[r * n + a];
    if (ones !== 1) throw new UsageError(`output '${info.outputName}' gave an action outside 0..${n - 1} (observation ${r} of the batch), which the env does not have`);
  }
  return rows;
}

export function sessionPolicy(session: SessionLike, makeTensor: Float32TensorMaker, spec: EnvSpec, info: PolicyFileInfo): Policy {
  const shape = fileObservationShape(spec, info);
  let disposed = false;
  let oneAtATime = false;

  async function qValues(observations: Float32Array, batch: number): Promise<Float32Array> {
    if (disposed) throw new Error('the policy was disposed');
    checkObservationLength(spec, observations, batch);
    if (oneAtATime && batch > 1) return loop(observations, batch);
    try {
      return await run(observations, batch);
    } catch (error) {
      // A file exported with a fixed batch of 1 can hard-code it where no rewrite reaches (a shape computed
      // from constants): run it one observation at a time from then on.
      if (!info.fixedBatch || batch === 1) throw error;
      oneAtATime = true;
      return loop(observations, batch);
    }
  }

  async function run(observations: Float32Array, batch: number): Promise<Float32Array> {
    const input = makeTensor(toFileLayout(spec, info, observations, batch), [batch, ...shape]);
    const result = await session.run({ [info.inputName]: input as never });
    return checkActionRows(result[info.outputName].data as Float32Array, info, batch);
  }

  async function loop(observations: Float32Array, batch: number): Promise<Float32Array> {
    const size = observations.length / batch;
    const out = new Float32Array(batch * spec.actionCount);
    for (let i = 0; i < batch; i++) out.set(await run(observations.subarray(i * size, (i + 1) * size), 1), i * spec.actionCount);
    return out;
  }

  return {
    spec,
    info,
    qValues,
    act: async (observation) => argmax(await qValues(observation, 1)),
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
