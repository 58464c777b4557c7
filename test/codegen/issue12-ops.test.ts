// The issue-12 ops on hand-built graphs: the forms the code generators refuse (each a UsageError naming the
// node, never code that computes something else), and the ones the torch exports do not reach.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateC } from '../../src/codegen/c.js';
import { generateJs } from '../../src/codegen/js.js';
import { programFromBytes } from '../../src/codegen/program.js';
import { importGeneratedModule } from '../../src/infer/js-runtime.js';
import { openPolicyBytes } from '../../src/infer/open.js';
import { floatAttr, intAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { inspectModel } from '../../src/onnx/inspect.js';
import { decodeModel, encodeModel, type NodeProto, type TensorProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor } from '../../src/onnx/tensor.js';
import { UsageError } from '../../src/util/errors.js';

/** obs [batch, 4] → Gemm 4→4 ('h') → nodes → q_values [batch, 2], opset 17. */
function model(nodes: NodeProto[], initializers: TensorProto[] = []): Uint8Array {
  const w = float32Tensor('w', [4, 4], Float32Array.from({ length: 16 }, (_, i) => ((i * 7) % 5) / 4 - 0.5));
  const w2 = float32Tensor('w2', [4, 2], Float32Array.from({ length: 8 }, (_, i) => ((i * 3) % 4) / 3 - 0.5));
  return encodeModel(
    makeModel({
      opset: 17,
      graph: {
        name: 'g',
        node: [makeNode('Gemm', ['obs', 'w'], ['h'], 'dense'), ...nodes, makeNode('Gemm', ['y', 'w2'], ['q_values'], 'out')],
        initializer: [w, w2, ...initializers],
        input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
        output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      },
      metadata: { 'qdistill.env': 'CartPole-v1' },
    }),
  );
}

const vec = (name: string, values: number[]) => float32Tensor(name, [values.length], Float32Array.from(values));

test('refused forms: BatchNormalization in training mode, Cast of a computed tensor to INT64, LayerNormalization over the batch axis', () => {
  const bnInputs = ['h', 'g', 'b', 'm', 'v'];
  const stats = [vec('g', [1, 2, 3, 4]), vec('b', [0, 0, 0, 0]), vec('m', [0, 0, 0, 0]), vec('v', [1, 1, 1, 1])];
  const refused: [Uint8Array, RegExp][] = [
    [model([makeNode('Cast', ['h'], ['y'], 'cast', [intAttr('to', DataType.INT64)])]), /node 'cast' \(Cast\) casts a computed tensor to INT64/],
    [model([makeNode('LayerNormalization', ['h', 'g'], ['y'], 'ln', [intAttr('axis', 0)])], [vec('g', [1, 1, 1, 1])]), /node 'ln' \(LayerNormalization\) has axis 0/],
    [model([makeNode('Div', ['k', 'h'], ['y'], 'div')], [vec('k', [1, 2, 3, 4])]), /node 'div' \(Div\) is supported only as tensor ÷ constant or tensor ÷ tensor/],
  ];
  // The training form is refused when the file is read, before any code generator sees it.
  const training = model([makeNode('BatchNormalization', bnInputs, ['y'], 'bn', [intAttr('training_mode', 1)])], stats);
  assert.throws(() => programFromBytes(training, 'm.onnx', { target: 'export js' }), (e: unknown) => e instanceof UsageError && /node 'bn' \(BatchNormalization\) is in training mode \(batch statistics\); call model\.eval\(\)/.test(e.message));
  for (const [bytes, message] of refused) {
    for (const target of ['export js', 'export c']) {
      assert.throws(() => programFromBytes(bytes, 'm.onnx', { target }), (e: unknown) => e instanceof UsageError && message.test(e.message) && e.message.startsWith(target));
    }
  }
});

test('Selu with its own alpha and gamma, LayerNormalization without B, tensor ÷ tensor: the js code and ort-cpu agree', async () => {
  const bytes = model(
    [
      makeNode('Selu', ['h'], ['s'], 'selu', [floatAttr('alpha', 2), floatAttr('gamma', 0.5)]),
      makeNode('LayerNormalization', ['s', 'g'], ['n'], 'ln', [floatAttr('epsilon', 0.01)]),
      makeNode('Sigmoid', ['n'], ['p'], 'sigmoid'),
      makeNode('Div', ['n', 'p'], ['y'], 'div'),
    ],
    [vec('g', [0.5, 1, 1.5, 2])],
  );
  const program = programFromBytes(bytes, 'm.onnx', { target: 'export js' });
  assert.deepEqual(program.steps.map((s) => s.kind), ['dense', 'layer-norm', 'activation', 'binary', 'dense']);
  assert.match(generateC(program), /sqrtf\(/);
  const module = await importGeneratedModule(generateJs(program));
  const ort = await openPolicyBytes(bytes, 'm.onnx', { runtime: 'ort-cpu' });
  const states = Float32Array.from({ length: 4 * 50 }, (_, i) => Math.sin(i * 1.7) * 3);
  const expected = await ort.qValues(states, 50);
  const actual = module.qValuesBatch(states, 50);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * (1 + Math.abs(expected[i])), `output ${i}: ${actual[i]} vs ${expected[i]}`);
  await ort.dispose();
});

test('inspect: LayerNormalization with its Mean and InvStdDev outputs keeps shapes known; only the Gemms cost MACs', () => {
  const bytes = model(
    [makeNode('LayerNormalization', ['h', 'g', 'b'], ['y', 'mean', 'inv'], 'ln'), makeNode('Erf', ['mean'], ['e'], 'erf')],
    [vec('g', [1, 1, 1, 1]), vec('b', [0, 0, 0, 0])],
  );
  const s = inspectModel(decodeModel(bytes, 'm.onnx'));
  assert.equal(s.macs, 4 * 4 + 4 * 2);
  assert.equal(s.parameters, 16 + 8 + 4 + 4);
});

