// Observation layouts: the envs give images as HWC; files exported from PyTorch usually take NCHW.

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
