import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { envSpec } from '../../src/envs/registry.js';
import { Rng } from '../../src/envs/rng.js';
import { openPolicy } from '../../src/infer/open.js';
import { tfjsToOnnx } from '../../src/onnx/export-tfjs.js';
import { writeModelFile } from '../../src/onnx/model.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { loadLayersModel } from '../../src/tfjs/model-io.js';
import { buildQNetwork } from '../../src/tfjs/networks.js';
import { UsageError } from '../../src/util/errors.js';
import { referenceCheck } from '../support/onnx-checker.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-open-'));
before(async () => {
  quietTfjs();
  await activateBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function observations(envId: string, count: number): Float32Array {
  const size = envSpec(envId).observationShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(3);
  return Float32Array.from({ length: count * size }, () => (envId.startsWith('MinAtar') ? Number(rng.random() < 0.2) : rng.normal()));
}

async function tfjsOutputs(folder: string, envId: string, obs: Float32Array, count: number): Promise<Float32Array> {
  const model = await loadLayersModel(folder);
  return (model.predict(tf.tensor(obs, [count, ...envSpec(envId).observationShape])) as tf.Tensor).dataSync() as Float32Array;
}

/** Float32 agreement relative to the output's scale: trained Q-values reach the hundreds. */
function assertClose(actual: Float32Array, expected: Float32Array, relative = 1e-5): void {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  const worst = actual.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[i])), 0);
  assert.ok(worst <= relative * scale, `max |difference| ${worst} with outputs up to ${scale}`);
}

test('a PyTorch MLP (torch.onnx: Gemm transB=1, no metadata) loads with --env, matches our teacher and plays CartPole', async () => {
  const policy = await openPolicy('models/pytorch/cartpole-v1-mlp.onnx', { env: 'CartPole-v1' });
  assert.equal(policy.info.inputName, 'input');
  assert.equal(policy.info.env, null);
  const obs = observations('CartPole-v1', 1000);
  const ours = await tfjsOutputs('models/cartpole-v1', 'CartPole-v1', obs, 1000);
  assertClose(await policy.qValues(obs, 1000), ours);
  const result = await evaluatePolicy('CartPole-v1', (o) => policy.act(o), { episodes: 5, seed: 1 });
  assert.deepEqual(result.returns, [500, 500, 500, 500, 500]);
  await policy.dispose();
});

test('a PyTorch CNN taking NCHW is recognised, fed transposed observations, and matches our Breakout teacher', async () => {
  const policy = await openPolicy('models/pytorch/minatar-breakout-cnn.onnx', { env: 'MinAtar/Breakout' });
  assert.equal(policy.info.inputLayout, 'nchw');
  const obs = observations('MinAtar/Breakout', 1000);
  const ours = await tfjsOutputs('models/minatar-breakout', 'MinAtar/Breakout', obs, 1000);
  assertClose(await policy.qValues(obs, 1000), ours);
  await policy.dispose();
});

for (const folder of ['cartpole-v1', 'acrobot-v1', 'mountaincar-v0', 'lunarlander-v3', 'minatar-breakout']) {
  test(`committed teacher models/${folder}/teacher.onnx passes the reference checker, describes itself and equals its tfjs model`, async () => {
    const check = referenceCheck(`models/${folder}/teacher.onnx`);
    assert.ok(check.ok, check.message);
    const policy = await openPolicy(`models/${folder}/teacher.onnx`);
    assert.ok(policy.info.env);
    assert.equal(policy.info.output, 'q_values');
    assert.equal((policy.info.card as { env: string }).env, policy.info.env);
    const obs = observations(policy.spec.id, 200);
    assertClose(await policy.qValues(obs, 200), await tfjsOutputs(`models/${folder}`, policy.spec.id, obs, 200));
    await policy.dispose();
  });
}

async function openError(file: string, env?: string): Promise<string> {
  try {
    await openPolicy(file, { env });
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return (error as Error).message;
  }
  assert.fail('expected an error');
}

test('shapes that do not fit the env are named exactly', async () => {
  assert.equal(
    await openError('models/pytorch/cartpole-v1-mlp.onnx', 'Acrobot-v1'),
    "input 'input' has shape [batch, 4], but Acrobot-v1 observations are [batch, 6] (models/pytorch/cartpole-v1-mlp.onnx)",
  );
  const threeActions = { ...envSpec('CartPole-v1'), actionCount: 3 };
  const file = join(dir, 'three-actions.onnx');
  writeModelFile(file, tfjsToOnnx(buildQNetwork(threeActions, { hidden: [8], dueling: false }, 1), threeActions, {}));
  assert.match(await openError(file, 'CartPole-v1'), /^output 'q_values' has shape \[batch, 3\], but CartPole-v1 has 2 actions: expected \[batch, 2\]/);
  assert.match(await openError('models/pytorch/cartpole-v1-mlp.onnx'), /has no qdistill.env metadata; pass --env/);
  assert.match(await openError('models/no-such.onnx', 'CartPole-v1'), /model file not found/);
});
