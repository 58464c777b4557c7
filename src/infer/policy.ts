// The Policy interface every runtime implements (onnxruntime's js/common is the model: interface first,
// runtimes plug in). A policy maps observations to Q-values (or logits) and acts greedily.
import type { EnvSpec } from '../envs/types.js';
import type { PolicyFileInfo } from '../policy/file.js';

export interface Policy {
  readonly spec: EnvSpec;
  readonly info: PolicyFileInfo;
  /** Outputs for `batch` observations laid out one after another in the env's native layout. */
  qValues(observations: Float32Array, batch: number): Promise<Float32Array>;
  /** argmax of the outputs for one observation. */
  act(observation: Float32Array): Promise<number>;
  dispose(): Promise<void>;
}

/** HWC → CHW for a batch of images (for files that take NCHW). */
export function hwcToChw(observations: Float32Array, batch: number, [h, w, c]: number[]): Float32Array {
  const out = new Float32Array(observations.length);
  const size = h * w * c;
  for (let n = 0; n < batch; n++) {
    const base = n * size;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
      out[base + (ch * h + y) * w + x] = observations[base + (y * w + x) * c + ch];
    }
  }
  return out;
}
