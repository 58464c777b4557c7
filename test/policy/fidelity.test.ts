// Decisive-state agreement and Q regret against a case computed by hand, and the temperature rule's
// invariance to the teacher's reward scale.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DECISIVE_GAP, fidelity, qScale } from '../../src/policy/fidelity.js';
import { resolveTemperature } from '../../src/distill/temperature.js';

// Four states, three actions. Ranges 2, 4, 0.2, 6 → median 3; decisive: top-two gap ≥ 1.5.
const teacher = Float32Array.from([
  1, 3, 2, // gap 1 (not decisive), best 1
  0, 4, 0.5, // gap 3.5 (decisive), best 1
  5, 5.1, 5.2, // gap 0.1 (nearly tied), best 2
  6, 0, 1, // gap 5 (decisive), best 0
]);
// The student picks 2, 1, 0, 1.
const student = Float32Array.from([0, 0, 1, 0, 9, 0, 7, 0, 0, 0, 1, 0]);

test('regret and decisive-state agreement, computed by hand', () => {
  assert.equal(DECISIVE_GAP, 0.5);
  assert.equal(qScale(teacher, 3), 3);
  const f = fidelity(student, teacher, 3);
  assert.equal(f.states, 4);
  assert.equal(f.agreement, 1 / 4); // only state 2
  assert.equal(f.decisiveShare, 2 / 4); // states 2 and 4
  assert.equal(f.decisiveAgreement, 1 / 2); // agrees on state 2, not on state 4
  // Regrets: 3 − 2 = 1, 0, 5.2 − 5 = 0.2, 6 − 0 = 6 → mean 7.2 / 4 = 1.8; relative 1.8 / 3 = 0.6.
  assert.ok(Math.abs(f.regret - 1.8) < 1e-6, `${f.regret}`);
  assert.ok(Math.abs(f.relativeRegret! - 0.6) < 1e-6);
});

test('a teacher that never prefers an action has no decisive states and scale 0', () => {
  const flat = new Float32Array(6).fill(2);
  const f = fidelity(Float32Array.from([1, 0, 0, 1, 1, 0]), flat, 2);
  assert.equal(f.qScale, 0);
  assert.equal(f.decisiveShare, 0);
  assert.equal(f.decisiveAgreement, null);
  assert.equal(f.regret, 0);
  assert.equal(f.relativeRegret, null);
});

test('temperature auto: τ = r × the Q scale, so the KL targets are the same for any reward scale', () => {
  const auto = resolveTemperature('auto', 0.1, teacher, 3);
  assert.equal(auto.rule, 'relative');
  assert.ok(Math.abs(auto.temperature - 0.3) < 1e-7);
  const scaled = Float32Array.from(teacher, (q) => 100 * q - 7);
  const autoScaled = resolveTemperature('auto', 0.1, scaled, 3);
  assert.ok(Math.abs(autoScaled.temperature - 30) < 1e-4);
  // softmax(q/τ) of the teacher and of 100·q − 7 agree (the shift cancels in the softmax).
  const targets = (q: Float32Array, tau: number) => tf.tidy(() => tf.softmax(tf.div(tf.tensor2d(q, [4, 3]), tau)).dataSync());
  const a = targets(teacher, auto.temperature);
  const b = targets(scaled, autoScaled.temperature);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `${a[i]} vs ${b[i]}`);
  // A fixed τ does not have that property: τ = 1 is soft on q and one-hot on 100·q.
  assert.notDeepEqual(Array.from(targets(teacher, 1)).map((x) => x.toFixed(2)), Array.from(targets(scaled, 1)).map((x) => x.toFixed(2)));
  assert.deepEqual(resolveTemperature(0.05, 0.1, teacher, 3), { temperature: 0.05, qScale: null, rule: 'given' });
  assert.equal(resolveTemperature('auto', 0.1, new Float32Array(6).fill(1), 3).rule, 'fallback');
});
