import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { runPass } from '../../src/compress/pass.js';
import { weightQuantizationPass } from '../../src/compress/quantize-weights.js';
import { quantizeSymmetric } from '../../src/util/int8.js';
import { generateJs } from '../../src/codegen/js.js';
import { programFromBytes, type WeightFormat } from '../../src/codegen/program.js';
import { importGeneratedModule, type GeneratedPolicyModule } from '../../src/infer/js-runtime.js';
import { openPolicy, RUNTIMES } from '../../src/infer/open.js';
import { intAttr, intsAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { decodeModel, encodeModel } from '../../src/onnx/model.js';
import { DataType, float32Tensor } from '../../src/onnx/tensor.js';
import { launchChromium } from '../../src/util/chromium.js';
import { UsageError } from '../../src/util/errors.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { agreement, CARTPOLE_STUDENT, committedCases, compressedCases, duelingCase, LUNAR_STUDENT, ortReference, stateCount, visitedStates, type PolicyCase } from './cases.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-codegen-js-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function compile(c: PolicyCase, weights: WeightFormat = 'float32'): Promise<GeneratedPolicyModule> {
  return importGeneratedModule(generateJs(programFromBytes(c.bytes, c.name, { env: c.env, weights, target: 'export js' })));
}

async function assertMatchesOrt(c: PolicyCase, module: GeneratedPolicyModule, reference: PolicyCase = c): Promise<void> {
  const count = stateCount(c.envId);
  const states = await visitedStates(c.envId, count);
  const expected = await ortReference(reference, states, count);
  const actual = module.qValuesBatch(states, count);
  const actions = new Int32Array(count);
  const size = module.observationSize;
  for (let s = 0; s < count; s++) actions[s] = module.act(states.subarray(s * size, (s + 1) * size));
  const batch = agreement(expected, actual, module.actionCount, actions);
  assert.equal(batch.outOfTolerance, 0, `${c.name}: ${batch.outOfTolerance} outputs beyond tolerance (max error ${batch.maxError})`);
  assert.equal(batch.realMismatches, 0, `${c.name}: actions differ from onnxruntime on ${batch.realMismatches} states that are not ties`);
  // Near-ties broken by float32 summation order are allowed, but must stay rare.
  assert.ok(batch.tieMismatches <= count / 1000, `${c.name}: ${batch.tieMismatches} tie mismatches`);
}

for (const c of committedCases()) {
  test(`export js: ${c.name} matches onnxruntime-node on states the teacher visits`, async () => {
    const module = await compile(c);
    assert.equal(module.observationSize, c.envId === 'MinAtar/Breakout' ? 400 : c.envId === 'CartPole-v1' ? 4 : 8);
    await assertMatchesOrt(c, module);
  });
}

for (const c of compressedCases()) {
  test(`export js: ${c.name} (folded to float32) matches onnxruntime-node on the same file`, async () => {
    await assertMatchesOrt(c, await compile(c));
  });
}

test('export js --weights int8 keeps the int8 values and scales of a weights-only file and matches onnxruntime on it', async () => {
  for (const c of compressedCases().filter((k) => k.name.includes('int8'))) {
    const program = programFromBytes(c.bytes, c.name, { weights: 'int8' });
    for (const step of program.steps) if (step.kind === 'dense' || step.kind === 'conv2d') assert.ok(step.weights.int8, `${c.name}: ${step.node} lost its int8 weights`);
    await assertMatchesOrt(c, await importGeneratedModule(generateJs(program)));
  }
});

test('export js --weights int8 of a float file computes what onnxruntime computes on the per-channel weights-only file', async () => {
  const float = committedCases().find((c) => c.name.startsWith('LunarLander'))!;
  const program = programFromBytes(float.bytes, float.name, { weights: 'int8' });
  const first = program.steps[0];
  assert.ok(first.kind === 'dense' && first.weights.int8);
  // Row r of the program is output unit r: its scale is max|w| / 127 over that unit's weights.
  assert.deepEqual(first.weights.int8.scales, quantizeSymmetric(first.weights.values, [first.weights.rows, first.weights.columns], 0).scales);
  const quantized: PolicyCase = { ...float, name: 'per-channel weights-only file', bytes: encodeModel(runPass(weightQuantizationPass, decodeModel(float.bytes), { perChannel: true }).model) };
  await assertMatchesOrt(float, await importGeneratedModule(generateJs(program)), quantized);
});

test('export js: a dueling CNN (NCHW input, MatMul + Add, ReduceMean/Sub/Add head) matches onnxruntime-node', async () => {
  const c = await duelingCase();
  const program = programFromBytes(c.bytes, c.name);
  assert.ok(program.steps.some((s) => s.kind === 'dueling'), 'the dueling head is one step');
  assert.ok(program.steps.every((s) => s.kind !== 'add-constant'), 'MatMul + Add biases are fused into the dense steps');
  await assertMatchesOrt(c, await importGeneratedModule(generateJs(program)));
});

test('the generated module: qValues reuses its buffer, act breaks ties towards the first action, bad sizes throw', async () => {
  const c = committedCases()[0];
  const module = await compile(c);
  const a = module.qValues(Float32Array.of(0.01, 0.2, -0.03, -0.3));
  const copy = Float32Array.from(a);
  const b = module.qValues(Float32Array.of(-0.01, -0.2, 0.03, 0.3));
  assert.equal(a, b, 'the same buffer is returned');
  assert.notDeepEqual(copy, Float32Array.from(b));
  assert.throws(() => module.qValues(new Float32Array(3)), RangeError);
  assert.throws(() => module.qValuesBatch(new Float32Array(7), 2), RangeError);
  // A policy whose output is constant (zero weights): every action ties, so act must return 0.
  const zero = makeModel({
    graph: {
      name: 'ties',
      node: [makeNode('Gemm', ['obs', 'w', 'b'], ['q_values'], 'gemm')],
      initializer: [float32Tensor('w', [4, 2], new Float32Array(8)), float32Tensor('b', [2], [0.5, 0.5])],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
    },
    metadata: { 'qdistill.env': 'CartPole-v1' },
  });
  const ties = await importGeneratedModule(generateJs(programFromBytes(encodeModel(zero), 'ties.onnx')));
  assert.equal(ties.act(Float32Array.of(1, 2, 3, 4)), 0);
});

function unsupportedModel(op: 'LSTM' | 'Softmax' | 'Exp'): Uint8Array {
  const node =
    op === 'LSTM'
      ? makeNode('LSTM', ['hidden'], ['q_values'], 'recurrent', [intAttr('hidden_size', 2)])
      : makeNode(op, ['hidden'], ['q_values'], op === 'Softmax' ? 'probabilities' : 'exponent', op === 'Softmax' ? [intAttr('axis', 1)] : []);
  return encodeModel(
    makeModel({
      graph: {
        name: op,
        node: [makeNode('Gemm', ['obs', 'w'], ['hidden'], 'dense'), node],
        initializer: [float32Tensor('w', [4, 2], new Float32Array(8))],
        input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
        output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      },
      metadata: { 'qdistill.env': 'CartPole-v1' },
    }),
  );
}

test('an unsupported op is a UsageError naming the op and the node, never code', () => {
  assert.throws(
    () => programFromBytes(unsupportedModel('Softmax'), 'softmax.onnx', { target: 'export js' }),
    (e: unknown) => e instanceof UsageError && /^export js supports Gemm, MatMul, Add, .*Relu.*; node 'probabilities' is Softmax$/.test(e.message),
  );
  assert.throws(
    () => programFromBytes(unsupportedModel('Exp'), 'exp.onnx', { target: 'export c' }),
    (e: unknown) => e instanceof UsageError && /^export c supports .*; node 'exponent' is Exp$/.test(e.message),
  );
  // Ops outside ONNX's everyday set (LSTM) are already refused when the file is read, also as a UsageError.
  assert.throws(
    () => programFromBytes(unsupportedModel('LSTM'), 'lstm.onnx', { target: 'export js' }),
    (e: unknown) => e instanceof UsageError && /unsupported operator 'LSTM' \(node 'recurrent'\)/.test(e.message),
  );
  // A ReduceMean that is not part of a dueling head is refused where it is read.
  const mean = encodeModel(
    makeModel({
      graph: {
        name: 'mean',
        node: [
          makeNode('Gemm', ['obs', 'w'], ['hidden'], 'dense'),
          makeNode('ReduceMean', ['hidden'], ['m'], 'mean', [intsAttr('axes', [1]), intAttr('keepdims', 1)]),
          makeNode('Relu', ['m'], ['r'], 'relu'),
          makeNode('Add', ['hidden', 'r'], ['q_values'], 'add'),
        ],
        initializer: [float32Tensor('w', [4, 2], new Float32Array(8))],
        input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
        output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
      },
      metadata: { 'qdistill.env': 'CartPole-v1' },
    }),
  );
  assert.throws(() => programFromBytes(mean, 'mean.onnx', { target: 'export js' }), /ReduceMean \(node 'mean'\) is supported only inside the dueling head.*node 'relu'/);
});

test('the js runtime: openPolicy(file, {runtime: "js"}) agrees with ort-cpu', async () => {
  assert.ok(RUNTIMES.includes('js'));
  for (const [path, weights] of [[CARTPOLE_STUDENT, 'float32'], [LUNAR_STUDENT, 'int8']] as const) {
    const js = await openPolicy(path, { runtime: 'js', weights });
    const ort = await openPolicy(path, { runtime: 'ort-cpu' });
    const states = await visitedStates(js.spec.id, 10_000);
    const size = js.spec.observationShape.reduce((a, b) => a * b, 1);
    const mine = await js.qValues(states.subarray(0, 200 * size), 200);
    const theirs = await ort.qValues(states.subarray(0, 200 * size), 200);
    const result = agreement(theirs, mine, js.spec.actionCount);
    if (weights === 'float32') {
      assert.equal(result.outOfTolerance, 0);
      assert.equal(result.realMismatches, 0);
      for (let s = 0; s < 200; s++) {
        const observation = states.subarray(s * size, (s + 1) * size);
        assert.equal(await js.act(observation), await ort.act(observation));
      }
    } else {
      // int8 weights change the outputs a little; the runtime must still play like the float policy.
      assert.ok(result.realMismatches <= 20, `${result.realMismatches} of 200 actions differ with int8 weights`);
    }
    assert.equal(js.info.inputName, ort.info.inputName);
    await js.dispose();
    await ort.dispose();
  }
  await assert.rejects(() => openPolicy(CARTPOLE_STUDENT, { runtime: 'no-such' }), UsageError);
});

test('qdistill export js writes a module that imports from its file and plays like onnxruntime', async () => {
  const out = join(dir, 'student.mjs');
  const r = runCli(['export', 'js', LUNAR_STUDENT, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.env, 'LunarLander-v3');
  assert.equal(summary.weights, 'float32');
  assert.equal(summary.bytes, readFileSync(out).byteLength);
  assert.match(summary.source.sha256, /^[0-9a-f]{64}$/);
  const source = readFileSync(out, 'utf8');
  assert.match(source, /^\/\/ qdistill policy for LunarLander-v3/);
  assert.match(source, new RegExp(`sha256 ${summary.source.sha256}`));
  assert.doesNotMatch(source, /\bimport\b|\brequire\(/, 'no dependencies');
  const module = (await import(pathToFileURL(out).href)) as GeneratedPolicyModule;
  const c = committedCases().find((k) => k.name.startsWith('LunarLander'))!;
  await assertMatchesOrt(c, module);
});

test('qdistill export js: --help has an example; bad input is one line and exit code 2', () => {
  const help = runCli(['export', 'js', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Example:\n {2}qdistill export js /);
  assert.match(help.stdout, /--weights <format>/);
  const bad = join(dir, 'softmax.onnx');
  writeFileSync(bad, unsupportedModel('Softmax'));
  const r = runCli(['export', 'js', bad, '--out', join(dir, 'never.mjs')]);
  assert.equal(r.status, 2);
  assert.deepEqual(ourLines(r.stderr).length, 1);
  assert.match(r.stderr, /node 'probabilities' is Softmax/);
  const noEnv = runCli(['export', 'js', 'models/pytorch/cartpole-v1-mlp.onnx', '--out', join(dir, 'y.mjs')]);
  assert.equal(noEnv.status, 2);
  assert.match(noEnv.stderr, /--env/);
});

test('the generated module runs unchanged in Chromium and agrees with onnxruntime-node there', async () => {
  const c = committedCases().find((k) => k.name.startsWith('Breakout'))!;
  const source = generateJs(programFromBytes(c.bytes, c.name));
  const count = 200;
  const states = (await visitedStates(c.envId, stateCount(c.envId))).subarray(0, count * 400);
  const expected = await ortReference(c, states, count);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const fromBrowser = await page.evaluate(
      async ({ source, states, count }) => {
        const module = await import(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
        const observations = Float32Array.from(states);
        const actions = [];
        for (let s = 0; s < count; s++) actions.push(module.act(observations.subarray(s * 400, (s + 1) * 400)));
        return { q: Array.from(module.qValuesBatch(observations, count) as Float32Array), actions };
      },
      { source, states: Array.from(states), count },
    );
    const result = agreement(expected, Float32Array.from(fromBrowser.q), 3, fromBrowser.actions);
    assert.equal(result.outOfTolerance, 0, `max error ${result.maxError}`);
    assert.equal(result.realMismatches, 0);
  } finally {
    await browser.close();
  }
});
