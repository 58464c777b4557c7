import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/envs/rng.js';
import { ReplayBuffer } from '../../src/rollout/replay-buffer.js';

const obs = (v: number) => Float32Array.from([v, v + 0.5]);

test('ReplayBuffer: wraps around and overwrites the oldest transitions', () => {
  const buffer = new ReplayBuffer(3, 2);
  for (let i = 0; i < 5; i++) buffer.add(obs(i), i, i * 10, obs(i + 1), i === 4);
  assert.equal(buffer.size, 3);
  assert.equal(buffer.position, 2); // 5 writes into 3 slots: next write goes to slot 5 mod 3
  // slots hold transitions 3, 4, 2
  assert.deepEqual([...buffer.actions], [3, 4, 2]);
  assert.deepEqual([...buffer.rewards], [30, 40, 20]);
  assert.deepEqual([...buffer.terminals], [0, 1, 0]);
  assert.deepEqual([...buffer.observations], [3, 3.5, 4, 4.5, 2, 2.5]);
  assert.deepEqual([...buffer.nextObservations], [4, 4.5, 5, 5.5, 3, 3.5]);
});

test('ReplayBuffer: samples keep each transition together and only from the filled part', () => {
  const buffer = new ReplayBuffer(100, 2);
  for (let i = 0; i < 10; i++) buffer.add(obs(i), i, -i, obs(i + 1), false);
  const batch = buffer.sample(500, new Rng(1));
  const seen = new Set<number>();
  for (let b = 0; b < 500; b++) {
    const a = batch.actions[b];
    seen.add(a);
    assert.ok(a >= 0 && a < 10);
    assert.equal(batch.rewards[b], -a);
    assert.equal(batch.observations[b * 2], a);
    assert.equal(batch.nextObservations[b * 2], a + 1);
  }
  assert.equal(seen.size, 10);
});

test('ReplayBuffer: checkpoint arrays restore the same contents', () => {
  const buffer = new ReplayBuffer(4, 2);
  for (let i = 0; i < 6; i++) buffer.add(obs(i), i % 2, i, obs(i + 1), i % 3 === 0);
  const copy = new ReplayBuffer(4, 2);
  copy.restore(buffer.toArrays(), buffer.position);
  assert.deepEqual(copy.sample(50, new Rng(3)), buffer.sample(50, new Rng(3)));
  assert.equal(copy.position, buffer.position);
  assert.throws(() => new ReplayBuffer(2, 2).restore(buffer.toArrays(), 0), /does not fit/);
});

test('ReplayBuffer: sampling an empty buffer is an error', () => {
  assert.throws(() => new ReplayBuffer(4, 2).sample(1, new Rng(0)), /empty/);
});
