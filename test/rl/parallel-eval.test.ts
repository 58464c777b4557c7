// Parallel evaluation must give exactly the sequential returns, in episode order, whatever the worker count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPolicy } from '../../src/infer/open.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { evaluatePolicyParallel } from '../../src/rollout/parallel-eval.js';

const file = 'models/lunarlander-v3-student-64x64/student.onnx';

test('returns on worker threads equal the sequential evaluation for 1, 2 and 3 workers', async () => {
  const policy = await openPolicy(file);
  const sequential = await evaluatePolicy(policy.spec.id, (o) => policy.act(o), { episodes: 7, seed: 99 });
  await policy.dispose();
  for (const workers of [1, 2, 3]) {
    let reported = 0;
    const parallel = await evaluatePolicyParallel({ episodes: 7, seed: 99, workers, open: { file }, onEpisode: (d) => (reported = d) });
    assert.deepEqual(parallel.returns, sequential.returns, `${workers} workers`);
    assert.deepEqual(parallel.lengths, sequential.lengths);
    assert.equal(parallel.env, 'LunarLander-v3');
    assert.equal(reported, 7);
  }
});

test('a worker that cannot open the policy rejects with the reason, marked as bad input', async () => {
  await assert.rejects(
    evaluatePolicyParallel({ episodes: 2, seed: 1, workers: 2, open: { file: 'models/pytorch/cartpole-v1-mlp.onnx' } }),
    (error: Error & { usage?: boolean }) => /qdistill\.env/.test(error.message) && error.usage === true,
  );
});
