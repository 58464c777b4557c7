import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { EnvSpec } from '../../src/envs/types.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { loadLayersModel, saveLayersModel } from '../../src/tfjs/model-io.js';
import { buildQNetwork } from '../../src/tfjs/networks.js';

quietTfjs();
const dir = mkdtempSync(join(tmpdir(), 'qdistill-net-'));
before(() => activateBackend('wasm'));
after(() => rmSync(dir, { recursive: true, force: true }));
const flat: EnvSpec = { id: 't', observationShape: [3], observationLayout: 'flat', actionCount: 3, maxEpisodeSteps: 1, rewardThreshold: null };

test('dueling head computes V + A − mean(A)', () => {
  const model = buildQNetwork(flat, { hidden: [], dueling: true }, 0);
  // value = s·[1,0,0], advantage = s·I (3×3) → Q_i = s_0 + s_i − mean(s)
  model.setWeights([tf.tensor2d([[1], [0], [0]]), tf.zeros([1]), tf.eye(3), tf.zeros([3])]);
  const q = (model.predict(tf.tensor2d([[1, 2, 6]])) as tf.Tensor).dataSync();
  assert.deepEqual([...q], [1 + 1 - 3, 1 + 2 - 3, 1 + 6 - 3]);
});

test('MinAtar network: 3×3 valid conv of 16 filters, flatten, dense 128, one Q per action', () => {
  const spec: EnvSpec = { ...flat, observationShape: [10, 10, 4], observationLayout: 'hwc' };
  const model = buildQNetwork(spec, { hidden: [128], dueling: false, convFilters: 16 }, 0);
  // conv: 3·3·4·16 + 16 = 592; dense: 8·8·16·128 + 128 = 131,200; head: 128·3 + 3 = 387
  assert.equal(model.countParams(), 592 + 131_200 + 387);
  assert.deepEqual(model.outputs[0].shape, [null, 3]);
});

test('same seed gives the same initial weights; another seed other weights', () => {
  const w = (seed: number) => buildQNetwork(flat, { hidden: [8], dueling: false }, seed).getWeights()[0].dataSync();
  assert.deepEqual(w(3), w(3));
  assert.notDeepEqual(w(3), w(4));
});

test('a saved model loads back with identical outputs, and re-saving replaces the weights file', async () => {
  const model = buildQNetwork(flat, { hidden: [16, 8], dueling: true }, 2);
  await saveLayersModel(model, dir);
  const loaded = await loadLayersModel(dir);
  const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
  assert.deepEqual((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync());
  model.setWeights(model.getWeights().map((w) => tf.add(w, 1)));
  await saveLayersModel(model, dir);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('weights-')).length, 1);
  assert.ok(readdirSync(dir).every((f) => !f.startsWith('.tmp-')));
});
