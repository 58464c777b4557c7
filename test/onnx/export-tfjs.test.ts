import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { envSpec } from '../../src/envs/registry.js';
import { Rng } from '../../src/envs/rng.js';
import { decodeModel, encodeModel } from '../../src/onnx/model.js';
import { tfjsToOnnx, type ExportOptions } from '../../src/onnx/export-tfjs.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { buildQNetwork, type NetworkConfig } from '../../src/tfjs/networks.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { hwcToChw } from '../../src/envs/layout.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-export-'));
before(async () => {
  quietTfjs();
  await activateBackend('cpu'); // the reference outputs come from tfjs's plain JavaScript kernels
  ortWeb.env.wasm.numThreads = 1;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const OBSERVATIONS = 1000;

function randomObservations(envId: string, count: number, seed: number): Float32Array {
  const size = envSpec(envId).observationShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed);
  const binary = envId.startsWith('MinAtar');
  return Float32Array.from({ length: count * size }, () => (binary ? (rng.random() < 0.2 ? 1 : 0) : rng.normal() * 2));
}

async function runOrt(runtime: typeof ortNode | typeof ortWeb, bytes: Uint8Array, input: Float32Array, dims: number[], providers: string[]): Promise<Float32Array> {
  const session = await (runtime.InferenceSession as typeof ortNode.InferenceSession).create(bytes, { executionProviders: providers });
  const result = await session.run({ obs: new (runtime.Tensor as typeof ortNode.Tensor)('float32', input, dims) });
  await session.release();
  return result.q_values.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const cases: { name: string; env: string; net: NetworkConfig; options: ExportOptions }[] = [
  { name: 'MLP (Gemm, opset 17)', env: 'CartPole-v1', net: { hidden: [64, 64], dueling: false }, options: {} },
  { name: 'MLP (MatMul + Add, opset 13)', env: 'Acrobot-v1', net: { hidden: [32, 16], dueling: false }, options: { dense: 'matmul', opset: 13 } },
  { name: 'dueling MLP', env: 'LunarLander-v3', net: { hidden: [64, 64], dueling: true }, options: {} },
  { name: 'MinAtar CNN (HWC input)', env: 'MinAtar/Breakout', net: { hidden: [128], dueling: false, convFilters: 16 }, options: {} },
  { name: 'MinAtar CNN (NCHW input)', env: 'MinAtar/Breakout', net: { hidden: [32], dueling: true, convFilters: 8 }, options: { layout: 'nchw' } },
];

for (const c of cases) {
  test(`export ${c.name}: onnxruntime-node and onnxruntime-web (wasm) match tfjs within 1e-5 on ${OBSERVATIONS} observations; the reference checker accepts it`, async () => {
    const spec = envSpec(c.env);
    const model = buildQNetwork(spec, c.net, 7);
    // Non-zero biases so that a dropped or misplaced bias shows.
    model.setWeights(model.getWeights().map((w, i) => (w.shape.length === 1 ? tf.randomNormal(w.shape, 0, 0.5, 'float32', i) : w)));
    const onnx = tfjsToOnnx(model, spec, { ...c.options, metadata: { 'qdistill.env': c.env, 'qdistill.output': 'q_values' } });
    const bytes = encodeModel(onnx);
    const path = join(dir, `${c.name.replace(/\W+/g, '_')}.onnx`);
    writeFileSync(path, bytes);

    const observations = randomObservations(c.env, OBSERVATIONS, 11);
    const expected = (model.predict(tf.tensor(observations, [OBSERVATIONS, ...spec.observationShape])) as tf.Tensor).dataSync() as Float32Array;
    const [h, w, ch] = spec.observationShape;
    const nchw = c.options.layout === 'nchw';
    const input = nchw ? hwcToChw(observations, OBSERVATIONS, spec.observationShape) : observations;
    const dims = nchw ? [OBSERVATIONS, ch, h, w] : [OBSERVATIONS, ...spec.observationShape];

    const fromNode = await runOrt(ortNode, bytes, input, dims, ['cpu']);
    const fromWeb = await runOrt(ortWeb, bytes, input, dims, ['wasm']);
    assert.ok(maxAbsDiff(expected, fromNode) <= 1e-5, `onnxruntime-node differs by ${maxAbsDiff(expected, fromNode)}`);
    assert.ok(maxAbsDiff(expected, fromWeb) <= 1e-5, `onnxruntime-web differs by ${maxAbsDiff(expected, fromWeb)}`);

    const check = referenceCheck(path);
    assert.ok(check.ok, check.message);

    // Reading and writing again gives the same outputs.
    const again = encodeModel(decodeModel(bytes, path));
    assert.deepEqual(await runOrt(ortNode, again, input, dims, ['cpu']), fromNode);
  });
}

test('every supported layer and activation exports: conv with same padding and stride 2, relu/tanh/sigmoid/elu/leaky relu/softmax/linear', async () => {
  const spec = { ...envSpec('MinAtar/Breakout'), actionCount: 5 };
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [10, 10, 4] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: init(1), biasInitializer: 'ones' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], padding: 'valid', activation: 'elu', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 12, activation: 'sigmoid', kernelInitializer: init(3), biasInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 12, activation: 'relu', kernelInitializer: init(4) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.5 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 5, activation: 'linear', kernelInitializer: init(5) }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.softmax().apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  for (const dense of ['gemm', 'matmul'] as const) {
    const bytes = encodeModel(tfjsToOnnx(model, spec, { dense }));
    const path = join(dir, `all-layers-${dense}.onnx`);
    writeFileSync(path, bytes);
    const observations = randomObservations('MinAtar/Breakout', 200, 5);
    const expected = (model.predict(tf.tensor(observations, [200, 10, 10, 4])) as tf.Tensor).dataSync() as Float32Array;
    const actual = await runOrt(ortNode, bytes, observations, [200, 10, 10, 4], ['cpu']);
    assert.ok(maxAbsDiff(expected, actual) <= 1e-5, `${dense}: differs by ${maxAbsDiff(expected, actual)}`);
    const check = referenceCheck(path);
    assert.ok(check.ok, check.message);
  }
});

test('layers and activations the exporter does not know are refused by name', () => {
  const spec = envSpec('CartPole-v1');
  const selu = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, activation: 'selu' })] });
  assert.throws(() => tfjsToOnnx(selu, spec), /cannot export activation 'selu'/);
  const bn = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 }), tf.layers.batchNormalization()] });
  assert.throws(() => tfjsToOnnx(bn, spec), /cannot export layer '.*' of type BatchNormalization/);
});
