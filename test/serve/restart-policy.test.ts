// When `serve --workers` replaces a dead worker: the delay doubles with each death within the window up to its
// cap, deaths older than the window no longer count, and one death past the limit stops the restarts. The
// clock is the policy's own `now` option, stepped by hand: the decisions depend on nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRestartPolicy } from '../../src/serve/restart-policy.js';

test('restart delays double to the cap, the window forgets old deaths, and the death past the limit gives up', () => {
  let t = 0;
  const policy = createRestartPolicy({ maxRestarts: 5, windowMs: 60_000, baseDelayMs: 100, maxDelayMs: 1_000, now: () => t });
  const delays = [];
  for (let i = 0; i < 5; i++) {
    const decision = policy.died();
    assert.equal(decision.restart, true);
    if (decision.restart) delays.push(decision.delayMs);
    t += 1_000;
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000]);
  const sixth = policy.died();
  assert.deepEqual(sixth, { restart: false, recent: 6, maxRestarts: 5 });

  // A minute after the first deaths only the latest ones count: restarts resume, with a short delay again.
  t += 60_000;
  const later = policy.died();
  assert.equal(later.restart, true);
  assert.equal(later.recent, 1);
  if (later.restart) assert.equal(later.delayMs, 100);
});
