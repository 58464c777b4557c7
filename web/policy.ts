// The policy in the page: onnxruntime-web's wasm-only build (half the download of the default build, which
// also carries WebGPU), one thread so no worker or cross-origin isolation is needed, greedy actions.
import * as ort from 'onnxruntime-web/wasm';
import type { SiteConfig } from '../src/export/site-config.js';
import { argmax } from '../src/policy/agreement.js';
import { hwcToChw } from '../src/envs/layout.js';

export interface Decision {
  action: number;
  /** Wall time of session.run, in milliseconds (the browser rounds performance.now(), often to 0.1 ms). */
  inferenceMs: number;
}

export interface BrowserPolicy {
  act(observation: Float32Array): Promise<Decision>;
}

export async function loadBrowserPolicy(config: SiteConfig, baseUrl: string): Promise<BrowserPolicy> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  // onnxruntime wants an absolute URL; the site itself only ever uses relative ones.
  ort.env.wasm.wasmPaths = { wasm: new URL(config.wasm, baseUrl).href };
  const response = await fetch(new URL(config.model, baseUrl));
  if (!response.ok) throw new Error(`could not fetch ${config.model}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
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
