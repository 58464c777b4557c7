// Confidence bounds for paired differences: the normal and Student-t quantiles, and the one-sided
// non-inferiority test the distillation stop rule uses ("is the student worse than the teacher by more than
// a margin?"), on returns both played from the same seeds.

/** Φ(x), the standard normal CDF (erfc by a Chebyshev fit, fractional error below 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Φ⁻¹(p) for 0 < p < 1: bisection on normalCdf (to 1e-10 in x), so it is exactly as good as the CDF. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  let lo = -40;
  let hi = 40;
  while (hi - lo > 1e-10) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The p-quantile of Student's t with `df` degrees of freedom, by the Cornish–Fisher expansion around the
 * normal quantile (four terms: within 1e-3 of the tables for df ≥ 5 at p ≤ 0.999). Fewer than 5 degrees of
 * freedom are refused: the stop rule never uses so few episodes.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(df >= 5)) throw new RangeError(`studentTQuantile needs df ≥ 5, got ${df}`);
  const z = normalQuantile(p);
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * (5 * z2 * z2 + 16 * z2 + 3)) / 96;
  const g3 = (z * (3 * z2 ** 3 + 19 * z2 * z2 + 17 * z2 - 15)) / 384;
  const g4 = (z * (79 * z2 ** 4 + 776 * z2 ** 3 + 1482 * z2 * z2 - 1920 * z2 - 945)) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

/** A one-sided non-inferiority verdict on paired differences d_i = a_i − b_i. */
export interface NonInferiority {
  /** Pairs compared. */
  n: number;
  /** Mean of the differences. */
  meanDifference: number;
  /** Sample standard deviation of the differences (n − 1). */
  stdDifference: number;
  /** One-sided lower confidence bound on the mean difference: mean − t(confidence, n − 1) · sd / √n. */
  lower: number;
  /** The margin: a is "not worse" when lower ≥ −margin. */
  margin: number;
  /** Confidence of the bound (e.g. 0.995). */
  confidence: number;
  /** lower ≥ −margin: a is not worse than b by more than the margin, at this confidence. */
  notWorse: boolean;
}

/**
 * Is `a` not worse than `b` by more than `margin`, at `confidence` (one-sided)? `a[i]` and `b[i]` must come
 * from the same seed, so that the seed's luck cancels in the difference. With n pairs whose differences have
 * standard deviation σ, a test at true difference −margin says "not worse" with probability 1 − confidence,
 * and at true difference 0 with probability ≈ Φ(margin·√n/σ − z(confidence)).
 */
export function pairedNonInferiority(a: readonly number[], b: readonly number[], margin: number, confidence: number): NonInferiority {
  if (a.length !== b.length) throw new RangeError(`paired samples differ in length: ${a.length} and ${b.length}`);
  const n = a.length;
  const d = a.map((x, i) => x - b[i]);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const lower = sd === 0 ? mean : mean - studentTQuantile(confidence, n - 1) * (sd / Math.sqrt(n));
  return { n, meanDifference: mean, stdDifference: sd, lower, margin, confidence, notWorse: lower >= -margin };
}
