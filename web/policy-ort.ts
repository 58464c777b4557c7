// The policy in an onnxruntime-web page: one thread, so no worker or cross-origin isolation is needed,
// greedy actions. Given the onnxruntime-web build to use (wasm-only, or the one with WebGPU) by the
// page's entry (web/policy-ort-wasm.ts, web/policy-ort-webgpu.ts), so a page bundles one build only.
import type * as Ort from 'onnxruntime-web/wasm';
import type { SiteConfig } from '../src/export/site-config.js';
import { argmax } from '../src/policy/agreement.js';
import { hwcToChw } from '../src/envs/layout.js';
import type { BrowserPolicy } from './policy-types.js';

/** A session on `ort` with `executionProviders`, for the model and wasm files the config names. */
export async function loadOrtPolicy(ort: typeof Ort, executionProviders: string[], config: SiteConfig, baseUrl: string): Promise<BrowserPolicy> {
  if (!config.model || !config.wasm) throw new Error('this page names no model or wasm file to load');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  // onnxruntime wants an absolute URL; the site itself only ever uses relative ones.
  ort.env.wasm.wasmPaths = { wasm: new URL(config.wasm, baseUrl).href };
  const response = await fetch(new URL(config.model, baseUrl));
  if (!response.ok) throw new Error(`could not fetch ${config.model}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders, graphOptimizationLevel: 'all' });
  const [h, w, c] = config.observationShape;
  const dims = config.inputLayout === 'nchw' ? [1, c, h, w] : [1, ...config.observationShape];
  return {
    async act(observation) {
      const input = config.inputLayout === 'nchw' ? hwcToChw(observation, 1, config.observationShape) : observation;
      const feeds = { [config.inputName]: new ort.Tensor('float32', input, dims) };
      const start = performance.now();
      const results = await session.run(feeds);
      const inferenceMs = performance.now() - start;
      const outputs = results[config.outputName].data as Float32Array;
      return { action: argmax(outputs), inferenceMs };
    },
  };
}
