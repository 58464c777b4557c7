// A pass that loses reward says so: the return before and after on the same seeds, the share of the input's
// gain over a random policy that was lost, and a warning line past 5%. Checked on real passes of a real student.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { optimize, prunePolicy } from '../../src/compress/index.js';
import { LOSS_WARNING_SHARE } from '../../src/compress/apply.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const dir = mkdtempSync(join(tmpdir(), 'qdistill-reward-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('pruning 90% of a CartPole student loses its return, and the result carries the warning', async () => {
  const r = await prunePolicy(STUDENT, { out: join(dir, 'pruned90.onnx'), sparsity: 0.9, structured: false, episodes: 10 });
  assert.ok(r.reward, 'the env is in the metadata, so the check ran');
  assert.equal(r.reward.before.mean, 500);
  assert.ok(r.reward.after.mean < 400, `after: ${r.reward.after.mean}`);
  // lostShare is (before − after) / (before − random), computed from the figures it reports
  const expected = (r.reward.before.mean - r.reward.after.mean) / (r.reward.before.mean - r.reward.random);
  assert.ok(Math.abs(r.reward.lostShare! - expected) < 1e-12);
  assert.ok(r.reward.lostShare! > LOSS_WARNING_SHARE);
  assert.match(r.reward.warning ?? '', /^the return fell from 500\.0 ± 0\.0 to .* over 10 episodes: \d+\.\d% of the input's gain over a random policy/);
});

test('a pass with the same outputs keeps the return and warns of nothing', async () => {
  const r = await optimize(STUDENT, { out: join(dir, 'optimized.onnx'), episodes: 5 });
  assert.deepEqual(r.reward?.after, r.reward?.before);
  assert.equal(r.reward?.warning, null);
});

test('episodes: 0 skips the check', async () => {
  const r = await optimize(STUDENT, { out: join(dir, 'optimized-unchecked.onnx'), episodes: 0 });
  assert.equal(r.reward, null);
});
