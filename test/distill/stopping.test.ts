// The paired stop rule: the quantiles against published tables, and its error rates on synthetic paired
// returns with known means — it must not stop on a worse student and must stop on an equal one, at the
// rates it states.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/envs/rng.js';
import { normalCdf, normalQuantile, pairedNonInferiority, studentTQuantile } from '../../src/util/confidence.js';
import { checkStop, stopRule } from '../../src/distill/stopping.js';

test('normal and Student-t quantiles match the published tables', () => {
  // Normal: Abramowitz & Stegun table 26.1; t: the usual two-sided tables read one-sided.
  const normal: [number, number][] = [[0.5, 0], [0.9, 1.281552], [0.95, 1.644854], [0.975, 1.959964], [0.995, 2.575829], [0.9995, 3.290527]];
  for (const [p, z] of normal) assert.ok(Math.abs(normalQuantile(p) - z) < 1e-5, `z(${p}) = ${normalQuantile(p)}, table ${z}`);
  assert.ok(Math.abs(normalCdf(-1.959964) - 0.025) < 1e-6);
  const t: [number, number, number][] = [[0.975, 5, 2.570582], [0.975, 10, 2.228139], [0.95, 19, 1.729133], [0.99, 30, 2.457262], [0.995, 99, 2.626405], [0.975, 120, 1.979930]];
  for (const [p, df, value] of t) assert.ok(Math.abs(studentTQuantile(p, df) - value) < 2e-3, `t(${p}, ${df}) = ${studentTQuantile(p, df)}, table ${value}`);
  assert.throws(() => studentTQuantile(0.95, 3), RangeError);
});

/** Share of `trials` where n paired differences drawn by `draw` pass the test. */
function stopRate(trials: number, n: number, draw: (rng: Rng) => number, margin: number, confidence: number, seed: number): number {
  const rng = new Rng(seed);
  const zeros = new Array<number>(n).fill(0);
  let stops = 0;
  for (let t = 0; t < trials; t++) {
    const d = Array.from({ length: n }, () => draw(rng));
    if (pairedNonInferiority(d, zeros, margin, confidence).notWorse) stops++;
  }
  return stops / trials;
}

/** Three binomial standard errors of a rate p over `trials`. */
const slack = (p: number, trials: number) => 3 * Math.sqrt((p * (1 - p)) / trials);

test('a student worse by exactly the margin stops at most 1 − confidence of the time (normal and bimodal returns)', () => {
  const trials = 4000;
  const margin = 10;
  const confidence = 0.995;
  const normal = stopRate(trials, 100, (r) => -margin + 80 * r.normal(), margin, confidence, 1);
  assert.ok(normal <= 0.005 + slack(0.005, trials), `normal: ${normal}`);
  // A LunarLander-like outcome: each episode's difference is a crash (−150) or a landing (+150) around the mean.
  const bimodal = stopRate(trials, 100, (r) => -margin + (r.random() < 0.5 ? -150 : 150), margin, confidence, 2);
  assert.ok(bimodal <= 0.005 + slack(0.005, trials), `bimodal: ${bimodal}`);
  // Clearly worse (twice the margin): practically never.
  assert.ok(stopRate(trials, 100, (r) => -2 * margin + 30 * r.normal(), margin, confidence, 3) <= 0.001);
});

test('a student equal to the teacher stops at the stated power Φ(margin·√n/σ − t)', () => {
  const trials = 4000;
  const n = 100;
  const margin = 10;
  const confidence = 0.995;
  // σ chosen so that the stated power is 90%.
  const sigma = (margin * Math.sqrt(n)) / (studentTQuantile(confidence, n - 1) + normalQuantile(0.9));
  const rate = stopRate(trials, n, (r) => sigma * r.normal(), margin, confidence, 4);
  assert.ok(Math.abs(rate - 0.9) <= slack(0.9, trials), `equal student stopped in ${rate} of trials, stated 0.9`);
  // Identical returns (CartPole's 500 every episode for both) stop at once.
  assert.equal(pairedNonInferiority([500, 500, 500], [500, 500, 500], 0, confidence).notWorse, true);
});

test('over all rounds, the Bonferroni share keeps a student at the margin below 1 − confidence', () => {
  const rounds = 10;
  const margin = 5;
  const rule = stopRule(new Array(100).fill(0), -100, { seed: 1, marginShare: 0.05, confidence: 0.95, rounds });
  assert.equal(rule.margin, margin);
  assert.ok(Math.abs(rule.confidencePerRound - 0.995) < 1e-12);
  const rng = new Rng(5);
  const runs = 2000;
  let stoppedAtAll = 0;
  for (let run = 0; run < runs; run++) {
    // A new student every round (the worst case: independent looks), always worse by exactly the margin.
    for (let round = 0; round < rounds; round++) {
      const student = Array.from({ length: 100 }, () => -margin + 60 * rng.normal());
      if (checkStop(rule, student).notWorse) {
        stoppedAtAll++;
        break;
      }
    }
  }
  assert.ok(stoppedAtAll / runs <= 0.05 + slack(0.05, runs), `stopped in ${stoppedAtAll / runs} of runs`);
});

test('the margin is a share of the teacher’s gain over random, or of its std when it gains nothing', () => {
  const teacher = [200, 100, 300, 200];
  assert.equal(stopRule(teacher, -100, { seed: 1, marginShare: 0.1, confidence: 0.95, rounds: 5 }).margin, 0.1 * 300);
  // No better than random: the margin is 10% of the population std (70.71…).
  assert.ok(Math.abs(stopRule(teacher, 250, { seed: 1, marginShare: 0.1, confidence: 0.95, rounds: 5 }).margin - 0.1 * Math.sqrt(5000)) < 1e-9);
});
