// One student for several environments: the shared trunk really is shared (parameter counts by hand,
// training through one environment's network moves the other's), and `distill` with teachers of two
// environments writes one ordinary file per environment that onnxruntime runs, with identical shared layers.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { envSpec } from '../../src/envs/registry.js';
import { openPolicy } from '../../src/infer/open.js';
import { decodeModel } from '../../src/onnx/model.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { buildSharedQNetworks } from '../../src/tfjs/networks.js';
import { runCli } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-multi-env-'));
before(async () => {
  quietTfjs();
  await activateBackend('wasm');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('shared networks: an input layer and a head per env, the middle shared (parameters by hand)', () => {
  const [cartpole, acrobot] = buildSharedQNetworks([envSpec('CartPole-v1'), envSpec('Acrobot-v1')], [8, 8], 1);
  // CartPole: 4·8+8 + 8·8+8 + 8·2+2 = 40 + 72 + 18; Acrobot: 6·8+8 + 72 + 8·3+3 = 56 + 72 + 27.
  assert.equal(cartpole.countParams(), 130);
  assert.equal(acrobot.countParams(), 155);
  const state = tf.tensor2d([[0.1, -0.2, 0.3, 0.05, 0.5, -0.5]]);
  const before = (acrobot.predict(state) as tf.Tensor).arraySync();
  // One Adam step on CartPole's network alone moves Acrobot's outputs: the middle layer is the same one.
  tf.train.adam(0.1).minimize(() => tf.mean(tf.square(cartpole.apply(tf.ones([4, 4])) as tf.Tensor)) as tf.Scalar);
  assert.notDeepEqual((acrobot.predict(state) as tf.Tensor).arraySync(), before);
});

/** A Gemm weight of a student file, by initializer name. */
function weight(file: string, name: string): number[] {
  const model = decodeModel(readFileSync(file), file);
  return Array.from(tensorToFloat32(model.graph!.initializer!.find((t) => t.name === name)!));
}

test('distill with teachers of two environments: one file per environment, the shared layer identical in both', async () => {
  const out = join(dir, 'two');
  // A torch export without metadata names its environment as FILE@ENV.
  const r = runCli(['distill', '--teacher', 'models/pytorch/cartpole-v1-mlp.onnx@CartPole-v1', '--teacher', 'models/acrobot-v1/teacher.onnx', '--student', '16,16', '--rounds', '2', '--steps-per-round', '500', '--gradient-steps', '100', '--eval-episodes', '10', '--final-episodes', '3', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.envs, ['CartPole-v1', 'Acrobot-v1']);
  // Shared 16·16+16 = 272; CartPole 4·16+16 + 272 + 16·2+2 = 386; Acrobot 6·16+16 + 272 + 16·3+3 = 435.
  assert.equal(summary.sharedParameters, 272);
  assert.equal(summary.totalParameters, 386 + 435 - 272);
  const files = ['CartPole-v1', 'Acrobot-v1'].map((env) => join(out, env, 'student.onnx'));
  assert.ok(files.every((f) => existsSync(f)) && existsSync(join(out, 'multi-env.json')));
  assert.deepEqual(weight(files[0], 'hidden_1.weight'), weight(files[1], 'hidden_1.weight'));
  assert.notDeepEqual(weight(files[0], 'hidden_0.weight').length, weight(files[1], 'hidden_0.weight').length);
  for (const [i, env] of ['CartPole-v1', 'Acrobot-v1'].entries()) {
    const policy = await openPolicy(files[i]);
    assert.equal(policy.spec.id, env);
    const action = await policy.act(new Float32Array(policy.spec.observationShape[0]));
    assert.ok(action >= 0 && action < policy.spec.actionCount);
    await policy.dispose();
    const card = JSON.parse(readFileSync(join(out, env, 'card.json'), 'utf8'));
    assert.equal(card.multiEnv.sharedParameters, 272);
    assert.ok(['not worse', 'budget'].includes(card.stop.reason));
  }
});

test('multi-environment refusals are one line: one hidden layer, a teacher file that names no environment', () => {
  const one = runCli(['distill', '--teacher', 'models/cartpole-v1/teacher.onnx', '--teacher', 'models/acrobot-v1/teacher.onnx', '--student', '16', '--out', join(dir, 'one')]);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /^qdistill: a multi-environment student needs at least two hidden layers/);
  const unnamed = runCli(['distill', '--teacher', 'models/acrobot-v1/teacher.onnx', '--teacher', 'models/pytorch/cartpole-v1-mlp.onnx', '--student', '16,16', '--out', join(dir, 'unnamed')]);
  assert.equal(unnamed.status, 2);
  assert.match(unnamed.stderr, /carries no qdistill\.env metadata; .* FILE@ENV/);
  assert.equal(unnamed.stderr.trim().split('\n').length, 1);
});
