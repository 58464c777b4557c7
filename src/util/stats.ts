// Percentiles of timing samples (nearest rank: the value below which p of the samples lie).

export interface Percentiles {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** The nearest-rank p-quantile (0 < p ≤ 1) of ascending `sorted`: the smallest value with at least p of the samples at or below it. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** count, mean, p50/p90/p99 (nearest rank), min and max of timing samples in any order. */
export function percentiles(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const count = sorted.length;
  if (count === 0) return { count, mean: NaN, p50: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN };
  const rank = (p: number) => nearestRank(sorted, p);
  let sum = 0;
  for (const x of sorted) sum += x;
  return { count, mean: sum / count, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), min: sorted[0], max: sorted[count - 1] };
}
