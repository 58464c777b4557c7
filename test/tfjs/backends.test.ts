import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { presetFor } from '../../src/rl/presets.js';
import { makeTrainingProbe } from '../../src/rl/probe.js';
import { activateBackend, BackendUnavailableError, isInstalled, quietTfjs } from '../../src/tfjs/backends.js';
import { checkWasmGradients, chooseBackend, type TrainingProbe } from '../../src/tfjs/choose-backend.js';

quietTfjs();

/** Runs `f` on cpu and on wasm with the same inputs and returns both results. */
async function onBothBackends(f: () => tf.Tensor): Promise<[Float32Array, Float32Array]> {
  await activateBackend('cpu');
  const expected = f().dataSync() as Float32Array;
  await activateBackend('wasm');
  const actual = f().dataSync() as Float32Array;
  return [expected, actual];
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return Math.max(0, ...a.map((v, i) => Math.abs(v - b[i])));
}

const randomValues = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 2);

test('wasm matMul with transposed operands (rewritten as Transpose + matMul) equals cpu', async () => {
  const a = randomValues(6 * 5, 1);
  const b = randomValues(5 * 7, 2);
  for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const) {
    const [expected, actual] = await onBothBackends(() =>
      tf.matMul(tf.tensor(a, ta ? [5, 6] : [6, 5]), tf.tensor(b, tb ? [7, 5] : [5, 7]), ta, tb),
    );
    assert.ok(maxAbsDiff(expected, actual) < 1e-5);
  }
  const [expected, actual] = await onBothBackends(() =>
    tf.fused.matMul({ a: tf.tensor(a, [5, 6]), b: tf.tensor(b, [7, 5]), transposeA: true, transposeB: true, activation: 'relu' }),
  );
  assert.ok(maxAbsDiff(expected, actual) < 1e-5);
});

test('wasm Conv2DBackpropFilter (registered on Conv3DBackpropFilterV2) equals cpu for stride 1, and refuses stride 2', async () => {
  for (const [stride, pad] of [[1, 'valid'], [1, 'same'], [2, 'valid']] as const) {
    const x = randomValues(2 * 7 * 6 * 3, stride);
    const filter = randomValues(3 * 3 * 3 * 4, 7);
    const [expected, actual] = await onBothBackends(() => {
      const input = tf.tensor4d(x, [2, 7, 6, 3]);
      // d/dW Σ (conv(x, W) ⊙ c) for a fixed c exercises Conv2DBackpropFilter
      const weighted = (w: tf.Tensor) => {
        const y = tf.conv2d(input, w as tf.Tensor4D, stride, pad);
        return tf.sum(tf.mul(y, tf.tensor(randomValues(y.size, 9), y.shape)));
      };
      return tf.grad(weighted)(tf.tensor4d(filter, [3, 3, 3, 4]));
    }).catch((error: Error) => {
      assert.equal(stride, 2, error.message);
      assert.match(error.message, /Conv2DBackpropFilter' not registered for backend 'wasm'/);
      return [new Float32Array(), new Float32Array()];
    });
    assert.ok(maxAbsDiff(expected, actual) < 1e-4, `stride ${stride} ${pad}`);
  }
});

for (const [env, dueling] of [['CartPole-v1', false], ['LunarLander-v3', true], ['MinAtar/Breakout', false]] as const) {
  test(`wasm gradients of the ${env}${dueling ? ' dueling' : ''} teacher network equal cpu's`, async () => {
    const config = { ...presetFor(env), dueling, batchSize: 16 };
    const error = await checkWasmGradients(makeTrainingProbe(env, config, 4));
    assert.ok(error < 1e-4, `relative error ${error}`);
  });
}

test('a network whose gradient needs a kernel wasm lacks trains on cpu, and says so', async () => {
  // A depthwise conv: wasm has no DepthwiseConv2dNativeBackpropFilter.
  const x = tf.tensor4d(randomValues(8 * 9 * 9 * 2, 5), [8, 9, 9, 2]);
  const probe: TrainingProbe = {
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.depthwiseConv2d({ inputShape: [9, 9, 2], kernelSize: 3, depthwiseInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      }),
    loss: (model) => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar,
  };
  assert.equal(await checkWasmGradients(probe), Infinity);
  const choice = await chooseBackend('wasm', probe);
  assert.equal(choice.backend, 'cpu');
  assert.match(choice.reason, /falling back to cpu/);
  assert.equal(tf.getBackend(), 'cpu');
});

test('auto picks the faster of the backends it timed', async () => {
  const choice = await chooseBackend('auto', makeTrainingProbe('CartPole-v1', { ...presetFor('CartPole-v1'), netArch: [64, 64] }, 1));
  const timed = Object.entries(choice.msPerStep) as [string, number][];
  assert.ok(timed.length >= 2, JSON.stringify(choice));
  assert.equal(choice.backend, timed.sort((a, b) => a[1] - b[1])[0][0]);
  assert.equal(tf.getBackend(), choice.backend);
});

for (const [backend, pkg] of [['tensorflow', '@tensorflow/tfjs-node'], ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu']] as const) {
  test(`asking for ${backend} without ${pkg} says how to install it`, { skip: isInstalled(pkg) && `${pkg} is installed` }, async () => {
    await assert.rejects(activateBackend(backend), (error: Error) => {
      assert.ok(error instanceof BackendUnavailableError);
      assert.match(error.message, new RegExp(`needs ${pkg}, which is not installed; install it with \`npm install ${pkg}@4\\.22\\.0\``));
      return true;
    });
  });
}

test('webgpu either starts on a real GPU or says that no adapter was found', async () => {
  try {
    await activateBackend('webgpu');
    assert.equal(tf.getBackend(), 'webgpu');
  } catch (error) {
    assert.ok(error instanceof BackendUnavailableError, String(error));
    assert.match((error as Error).message, /found no GPU adapter|needs webgpu/);
  }
});
