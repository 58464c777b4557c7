// The share of the teacher's gain over a random policy, on returns of both signs, and undefined (null) when the
// teacher is no better than random — so a pass whose input plays worse than random never reports a "loss"
// when its output plays better.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareOfTeacherGain } from '../../src/policy/gain.js';

test('share of the gain: (model − random) / (teacher − random) for positive and negative returns', () => {
  assert.equal(shareOfTeacherGain(250, 500, 0), 0.5);
  assert.equal(shareOfTeacherGain(-150, -100, -200), 0.5); // MountainCar-like returns
  assert.equal(shareOfTeacherGain(600, 500, 0), 1.2);
});

test('a teacher no better than random has no gain to share: null', () => {
  assert.equal(shareOfTeacherGain(14, 18.5, 18.5), null);
  assert.equal(shareOfTeacherGain(14, 10, 18.5), null);
});
