// tf2onnx (Keras → ONNX) writes Dense as MatMul + Add, keeps Keras's NHWC input and wraps each Conv in
// Transpose pairs, flattens with Reshape to a constant shape, and names tensors after Keras layers with a
// symbolic batch dim like 'unk__6'. TensorFlow cannot be installed here, so this test builds a graph of that
// shape by hand from our Breakout teacher's weights and checks that it loads and answers like the teacher.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/envs/rng.js';
import { openPolicy } from '../../src/infer/open.js';
import { intsAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { writeModelFile } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';
import { loadLayersModel } from '../../src/tfjs/model-io.js';
import { referenceCheck } from '../support/onnx-checker.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-tf2onnx-'));
before(async () => {
  quietTfjs();
  await activateBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a tf2onnx-shaped Keras CNN (NHWC input, Transpose–Conv–Transpose, Reshape, MatMul + Add) loads and matches our teacher', async () => {
  const teacher = await loadLayersModel('models/minatar-breakout');
  const [convKernel, convBias, denseKernel, denseBias, headKernel, headBias] = teacher.getWeights().map((w) => w.dataSync() as Float32Array);
  const convWeight = tf.transpose(tf.tensor(convKernel, [3, 3, 4, 16]), [3, 2, 0, 1]).dataSync() as Float32Array;
  const model = makeModel({
    producerName: 'tf2onnx',
    producerVersion: '1.16.1',
    opset: 13,
    graph: {
      name: 'tf2onnx',
      input: [tensorValueInfo('input_1', DataType.FLOAT, ['unk__6', 10, 10, 4])],
      output: [tensorValueInfo('dense_1', DataType.FLOAT, ['unk__7', 3])],
      initializer: [
        float32Tensor('conv2d/Conv2D/ReadVariableOp:0', [16, 4, 3, 3], convWeight),
        float32Tensor('conv2d/BiasAdd/ReadVariableOp:0', [16], convBias),
        int64Tensor('const_fold_opt__12', [2], [-1, 1024]),
        float32Tensor('dense/MatMul/ReadVariableOp:0', [1024, 128], denseKernel),
        float32Tensor('dense/BiasAdd/ReadVariableOp:0', [128], denseBias),
        float32Tensor('dense_1/MatMul/ReadVariableOp:0', [128, 3], headKernel),
        float32Tensor('dense_1/BiasAdd/ReadVariableOp:0', [3], headBias),
      ],
      node: [
        makeNode('Transpose', ['input_1'], ['conv2d/Conv2D__6:0'], 'conv2d/Conv2D__6', [intsAttr('perm', [0, 3, 1, 2])]),
        makeNode('Conv', ['conv2d/Conv2D__6:0', 'conv2d/Conv2D/ReadVariableOp:0', 'conv2d/BiasAdd/ReadVariableOp:0'], ['conv2d/BiasAdd:0'], 'conv2d/BiasAdd', [
          intsAttr('dilations', [1, 1]), intsAttr('kernel_shape', [3, 3]), intsAttr('strides', [1, 1]), intsAttr('pads', [0, 0, 0, 0]),
        ]),
        makeNode('Relu', ['conv2d/BiasAdd:0'], ['conv2d/Relu:0'], 'conv2d/Relu'),
        makeNode('Transpose', ['conv2d/Relu:0'], ['conv2d/Relu__8:0'], 'conv2d/Relu__8', [intsAttr('perm', [0, 2, 3, 1])]),
        makeNode('Reshape', ['conv2d/Relu__8:0', 'const_fold_opt__12'], ['flatten/Reshape:0'], 'flatten/Reshape'),
        makeNode('MatMul', ['flatten/Reshape:0', 'dense/MatMul/ReadVariableOp:0'], ['dense/MatMul:0'], 'dense/MatMul'),
        makeNode('Add', ['dense/MatMul:0', 'dense/BiasAdd/ReadVariableOp:0'], ['dense/BiasAdd:0'], 'dense/BiasAdd'),
        makeNode('Relu', ['dense/BiasAdd:0'], ['dense/Relu:0'], 'dense/Relu'),
        makeNode('MatMul', ['dense/Relu:0', 'dense_1/MatMul/ReadVariableOp:0'], ['dense_1/MatMul:0'], 'dense_1/MatMul'),
        makeNode('Add', ['dense_1/MatMul:0', 'dense_1/BiasAdd/ReadVariableOp:0'], ['dense_1'], 'dense_1/BiasAdd'),
      ],
    },
  });
  const path = join(dir, 'keras-breakout.onnx');
  writeModelFile(path, model);
  assert.ok(referenceCheck(path).ok);

  const policy = await openPolicy(path, { env: 'MinAtar/Breakout' });
  assert.equal(policy.info.inputLayout, 'native');
  assert.equal(policy.info.outputName, 'dense_1');
  const rng = new Rng(8);
  const obs = Float32Array.from({ length: 500 * 400 }, () => Number(rng.random() < 0.2));
  const actual = await policy.qValues(obs, 500);
  const expected = (teacher.predict(tf.tensor(obs, [500, 10, 10, 4])) as tf.Tensor).dataSync();
  const scale = Math.max(1, ...expected.map(Math.abs));
  const worst = actual.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[i])), 0);
  assert.ok(worst <= 1e-5 * scale, `max |difference| ${worst}`);
  await policy.dispose();
});
