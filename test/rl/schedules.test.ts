import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epsilonAt } from '../../src/rl/schedules.js';

test('epsilonAt: linear from initial to final over the exploration fraction, then flat (SB3 semantics)', () => {
  const s = { initial: 1, final: 0.04, fraction: 0.16, totalSteps: 50_000 }; // decays over 8000 steps
  assert.equal(epsilonAt(0, s), 1);
  assert.ok(Math.abs(epsilonAt(4000, s) - 0.52) < 1e-12);
  assert.equal(epsilonAt(8000, s), 0.04);
  assert.equal(epsilonAt(49_999, s), 0.04);
  assert.equal(epsilonAt(10, { ...s, fraction: 0 }), 0.04);
});
