// From observed activation values to a quantization range, and from a range to uint8 (scale, zero point).
// Three published methods: min/max; a percentile of |x|; and the entropy method of TensorRT's int8
// calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017): the clipping threshold whose clipped
// histogram loses least information (KL divergence) when quantized to 128 levels. Written here because no
// JavaScript library implements them.

export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy'] as const;
/** How observed activation values become a range: min/max, a percentile of |x|, or TensorRT's entropy method. */
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export interface CalibrationSettings {
  method: CalibrationMethod;
  /** percentile: the share of |x| kept inside the range, in percent (99.99 unless given). */
  percentile?: number;
}

export interface ValueRange {
  min: number;
  max: number;
}

/** uint8 asymmetric quantization of a range: real = scale · (q − zeroPoint). */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

export const DEFAULT_PERCENTILE = 99.99;
export const ENTROPY_BINS = 2048;
const ENTROPY_LEVELS = 128;

function extremes(values: Float32Array): { min: number; max: number; maxAbs: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return { min: 0, max: 0, maxAbs: 0 };
  return { min, max, maxAbs: Math.max(Math.abs(min), Math.abs(max)) };
}

/** The p-th percentile (0..100) of |x|, linear interpolation between order statistics. */
export function absPercentile(values: Float32Array, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float32Array.from(values, Math.abs).sort();
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let sumP = 0;
  let sumQ = 0;
  for (let i = 0; i < p.length; i++) {
    sumP += p[i];
    sumQ += q[i];
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / sumP;
    // Q is zero where P has mass only when the clipped outliers landed in an empty bin: heavily penalised,
    // not infinite, so the search still has a minimum.
    const qi = Math.max(q[i] / sumQ, 1e-12);
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/**
 * Histogram of the non-zero |x| over [0, maxAbs] in `bins` equal bins. Exact zeros are left out: zero is
 * always representable exactly, and after a Relu they are most of the values, a spike in bin 0 that the
 * 128-level merge would smear over its neighbours — that alone would drive the search to a tiny threshold.
 */
export function absHistogram(values: Float32Array, maxAbs: number, bins = ENTROPY_BINS): Float64Array {
  const hist = new Float64Array(bins);
  if (maxAbs <= 0) return hist;
  for (const v of values) if (v !== 0) hist[Math.min(bins - 1, Math.floor((Math.abs(v) / maxAbs) * bins))]++;
  return hist;
}

/**
 * TensorRT's entropy threshold on a histogram of |x| (bin width `width`): for each candidate of i bins
 * (from `levels` up), P = the first i bins with everything beyond folded into the last; Q = those i bins
 * merged into `levels` groups, each group's count spread evenly over its non-empty bins. The threshold is
 * the middle of the last bin of the i with the smallest KL(P ‖ Q).
 */
export function entropyThreshold(hist: Float64Array, width: number, levels = ENTROPY_LEVELS): number {
  const bins = hist.length;
  let bestI = bins;
  let bestKl = Infinity;
  let tail = 0;
  for (let i = bins - 1; i >= levels; i--) tail += hist[i];
  // tail now holds the count beyond the first `levels` bins; each step moves one bin from tail to P.
  for (let i = levels; i <= bins; i++) {
    const p = hist.slice(0, i);
    p[i - 1] += tail;
    const q = new Float64Array(i);
    for (let g = 0; g < levels; g++) {
      const start = Math.floor((g * i) / levels);
      const end = Math.floor(((g + 1) * i) / levels);
      let count = 0;
      let nonEmpty = 0;
      for (let b = start; b < end; b++) {
        count += hist[b];
        if (hist[b] > 0) nonEmpty++;
      }
      if (nonEmpty > 0) for (let b = start; b < end; b++) if (hist[b] > 0) q[b] = count / nonEmpty;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
    if (i < bins) tail -= hist[i];
  }
  // Keeping every bin means no clipping: the whole range, not the middle of its last bin.
  return bestI === bins ? bins * width : (bestI - 0.5) * width;
}

/** The range to quantize for one tensor's observed values, by the chosen method. */
export function rangeOf(values: Float32Array, settings: CalibrationSettings): ValueRange {
  const { min, max, maxAbs } = extremes(values);
  if (settings.method === 'minmax' || maxAbs === 0) return { min, max };
  const threshold =
    settings.method === 'percentile'
      ? absPercentile(values, settings.percentile ?? DEFAULT_PERCENTILE)
      : entropyThreshold(absHistogram(values, maxAbs), maxAbs / ENTROPY_BINS);
  return { min: Math.max(min, -threshold), max: Math.min(max, threshold) };
}

/** uint8 parameters for a range, widened to include 0 so that zero (padding, Relu) is exact. */
export function uint8Params({ min, max }: ValueRange): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (hi - lo <= 0) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}
