// Entry of an `--runtime ort-webgpu` page's policy: onnxruntime-web's WebGPU build, falling back to its
// wasm execution provider where the browser offers no WebGPU adapter.
import * as ort from 'onnxruntime-web/webgpu';
import { loadOrtPolicy } from './policy-ort.js';
import type { PolicyLoader } from './policy-types.js';

export const loadPolicy: PolicyLoader = (config, baseUrl) => loadOrtPolicy(ort as never, ['webgpu', 'wasm'], config, baseUrl);
