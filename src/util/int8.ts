// Symmetric int8 quantization of float values: the arithmetic shared by the int8 compression passes and the
// code generators' int8 weights. scale = max|x| / 127 per tensor or per channel, zero point 0.

/** int8 values and scales of a float tensor, symmetric, per tensor or along `axis`. */
export function quantizeSymmetric(values: Float32Array, dims: readonly number[], axis: number | null): { q: Int8Array; scales: Float32Array } {
  const channels = axis === null ? 1 : dims[axis];
  const inner = axis === null ? values.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  values.forEach((v, i) => (maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(v))));
  const scales = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = Int8Array.from(values, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scales[channelOf(i)]))));
  return { q, scales };
}
