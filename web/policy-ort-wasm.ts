// Entry of an `--runtime ort-wasm` page's policy: onnxruntime-web's wasm-only build (half the download of
// the build that also carries WebGPU).
import * as ort from 'onnxruntime-web/wasm';
import { loadOrtPolicy } from './policy-ort.js';
import type { PolicyLoader } from './policy-types.js';

export const loadPolicy: PolicyLoader = (config, baseUrl) => loadOrtPolicy(ort, ['wasm'], config, baseUrl);
