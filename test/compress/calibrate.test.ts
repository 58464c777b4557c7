import assert from 'node:assert/strict';
import { test } from 'node:test';
import { absPercentile, entropyThreshold, absHistogram, rangeOf, uint8Params, ENTROPY_BINS } from '../../src/compress/calibration-methods.js';

/** Deterministic uniform numbers in [0, 1) (a 32-bit LCG), so the distributions are the same every run. */
function uniform(count: number, seed = 12345): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

/** Standard normal values by Box–Muller on the uniform stream. */
function normal(count: number): Float32Array {
  const u = uniform(2 * count, 777);
  return Float32Array.from({ length: count }, (_, i) => Math.sqrt(-2 * Math.log(1 - u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]));
}

test('minmax is the exact smallest and largest value', () => {
  assert.deepEqual(rangeOf(Float32Array.from([0.5, -3.25, 2.5, 0, 1]), { method: 'minmax' }), { min: -3.25, max: 2.5 });
});

test('percentile clips at the requested quantile of |x| (linear interpolation between order statistics)', () => {
  // |x| = 0, 1, …, 10000: the p-th percentile is 100·p exactly
  const values = Float32Array.from({ length: 10001 }, (_, i) => (i % 2 ? -i : i));
  assert.equal(absPercentile(values, 99), 9900);
  assert.equal(absPercentile(values, 50), 5000);
  assert.ok(Math.abs(absPercentile(values, 99.99) - 9999) < 1e-6);
  const range = rangeOf(values, { method: 'percentile', percentile: 99 });
  assert.deepEqual(range, { min: -9900, max: 9900 });
  // the 97.5th percentile of |N(0,1)| is the two-sided 95% quantile, 1.96
  assert.ok(Math.abs(absPercentile(normal(200_000), 95) - 1.96) < 0.02);
});

test('entropy keeps (nearly) the whole range of a uniform distribution', () => {
  const values = uniform(200_000);
  const { max } = rangeOf(values, { method: 'entropy' });
  const top = values.reduce((a, b) => Math.max(a, b), 0);
  assert.ok(max > 0.95 * top, `threshold ${max} of ${top}`);
});

test('entropy clips an outlier-heavy distribution well below its maximum', (t) => {
  // N(0, 1) with 20 values at ±100: the max is 100, the bulk lies within ±4
  const values = normal(200_000);
  for (let i = 0; i < 20; i++) values[i * 997] = i % 2 ? 100 : -100;
  const { min, max } = rangeOf(values, { method: 'entropy' });
  t.diagnostic(`threshold ${max} (max 100)`);
  assert.ok(max < 20 && max > 2, `threshold ${max}`);
  assert.equal(min, -max); // symmetric threshold on |x|
});

test('entropy: zeros do not pull the threshold down (Relu outputs), and a spike at the max keeps the max', () => {
  const relu = Float32Array.from(normal(100_000), (v) => Math.max(0, v));
  const t = rangeOf(relu, { method: 'entropy' }).max;
  assert.ok(t > 2.5, `threshold ${t} for a half-normal`);
  const binary = Float32Array.from(uniform(10_000), (u) => (u < 0.3 ? 1 : 0));
  assert.deepEqual(rangeOf(binary, { method: 'entropy' }), { min: 0, max: 1 });
  // a histogram with all mass in the first 128 bins: any threshold at or beyond them loses nothing
  const hist = new Float64Array(ENTROPY_BINS);
  for (let i = 0; i < 128; i++) hist[i] = 10;
  assert.equal(entropyThreshold(hist, 1), 127.5);
  assert.equal(absHistogram(Float32Array.from([0, 0, 0.5, -1]), 1, 4).reduce((a, b) => a + b), 2);
});

test('uint8 parameters: real = scale·(q − zero point), the range widened to include 0 and 0 exact', () => {
  const p = uint8Params({ min: -1, max: 3 });
  assert.equal(p.scale, Math.fround(4 / 255));
  assert.equal(p.zeroPoint, 64); // round(1 / (4/255)) = round(63.75)
  assert.ok(Math.abs(p.scale * (0 - p.zeroPoint) - -1) < p.scale); // the low end stays representable
  assert.ok(Math.abs(p.scale * (255 - p.zeroPoint) - 3) < p.scale);
  assert.deepEqual(uint8Params({ min: 2, max: 5 }), { scale: Math.fround(5 / 255), zeroPoint: 0 });
  assert.deepEqual(uint8Params({ min: -4, max: -1 }), { scale: Math.fround(4 / 255), zeroPoint: 255 });
  assert.deepEqual(uint8Params({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
});
