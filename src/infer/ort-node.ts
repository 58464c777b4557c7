// The `ort-cpu` runtime: onnxruntime-node with its CPU execution provider. The session is created from the
// bytes we already read and validated, so the file is read once.
import * as ort from 'onnxruntime-node';
import type { EnvSpec } from '../envs/types.js';
import type { Policy } from './policy.js';
import type { Runtime, RuntimeOptions } from './runtime.js';
import { sessionPolicy } from './session-policy.js';
import { type PolicyFileInfo } from '../policy/file.js';

export type OrtCpuOptions = Pick<RuntimeOptions, 'threads' | 'graphOptimizationLevel'>;

export const ortCpuRuntime: Runtime = {
  name: 'ort-cpu',
  description: 'onnxruntime-node, CPU execution provider',
  unavailableReason: async () => null,
  open: (bytes, spec, info, options) => openOrtCpuPolicy(bytes, spec, info, options),
};

/** The session options every onnxruntime-node runtime starts from: one thread per call by default, full graph optimization. */
export function baseSessionOptions(options: OrtCpuOptions): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1, graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' };
}

export async function openOrtCpuPolicy(bytes: Uint8Array, spec: EnvSpec, info: PolicyFileInfo, options: OrtCpuOptions = {}): Promise<Policy> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], ...baseSessionOptions(options) });
  return sessionPolicy(session, (data, dims) => new ort.Tensor('float32', data, dims), spec, info);
}
