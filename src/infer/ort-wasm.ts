// The `ort-wasm` runtime: onnxruntime-web's WebAssembly backend inside Node. It runs the same kernels a browser
// page runs, without the browser, so its latency is what the wasm build itself costs.
import * as ortWeb from 'onnxruntime-web';
import { UsageError } from '../util/errors.js';
import type { Runtime, RuntimeOptions } from './runtime.js';
import { sessionPolicy } from './session-policy.js';

/** The thread count of the wasm instance, fixed by the first session in the process (onnxruntime-web reads it once). */
let startedWithThreads: number | null = null;

function useThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`ort-wasm threads must be a whole number ≥ 1, got ${threads}`);
  if (startedWithThreads !== null && startedWithThreads !== threads) {
    throw new UsageError(`ort-wasm already runs with ${startedWithThreads} thread(s) in this process; onnxruntime-web cannot change it to ${threads}`);
  }
  ortWeb.env.wasm.numThreads = threads;
  startedWithThreads = threads;
}

export const ortWasmRuntime: Runtime = {
  name: 'ort-wasm',
  description: 'onnxruntime-web, WebAssembly backend, inside Node',
  unavailableReason: async () => null,
  async open(bytes, spec, info, options: RuntimeOptions) {
    useThreads(options.threads ?? 1);
    const session = await ortWeb.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
    return sessionPolicy(session, (data, dims) => new ortWeb.Tensor('float32', data, dims), spec, info);
  },
};
