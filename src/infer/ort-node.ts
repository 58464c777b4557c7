// The `ort-cpu` runtime: onnxruntime-node with its CPU execution provider. The session is created from the
// bytes we already read and validated, so the file is read once.
import * as ort from 'onnxruntime-node';
import type { EnvSpec } from '../envs/types.js';
import { argmax, hwcToChw, type Policy, type PolicyFileInfo } from './policy.js';
import type { Runtime, RuntimeOptions } from './runtime.js';

export type OrtCpuOptions = Pick<RuntimeOptions, 'threads' | 'graphOptimizationLevel'>;

export const ortCpuRuntime: Runtime = {
  name: 'ort-cpu',
  description: 'onnxruntime-node, CPU execution provider',
  unavailableReason: async () => null,
  open: (bytes, spec, info, options) => openOrtCpuPolicy(bytes, spec, info, options),
};

export async function openOrtCpuPolicy(bytes: Uint8Array, spec: EnvSpec, info: PolicyFileInfo, options: OrtCpuOptions = {}): Promise<Policy> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
  });
  const perObservation = spec.observationShape.reduce((a, b) => a * b, 1);
  const [h, w, c] = spec.observationShape;
  const fileShape = info.inputLayout === 'nchw' ? [c, h, w] : spec.observationShape;

  async function qValues(observations: Float32Array, batch: number): Promise<Float32Array> {
    if (observations.length !== batch * perObservation) {
      throw new RangeError(`expected ${batch} × ${perObservation} values, got ${observations.length}`);
    }
    const data = info.inputLayout === 'nchw' ? hwcToChw(observations, batch, spec.observationShape) : observations;
    const result = await session.run({ [info.inputName]: new ort.Tensor('float32', data, [batch, ...fileShape]) });
    return result[info.outputName].data as Float32Array;
  }

  return {
    spec,
    info,
    qValues,
    act: async (observation) => argmax(await qValues(observation, 1)),
    dispose: () => session.release(),
  };
}
