// The WebAssembly SIMD kernel of the generated JS module: forced and chosen by `auto`, it computes what
// onnxruntime-node computes on states the teachers visit; the kernel's own activations and partial row
// groups against onnxruntime on a graph made for them; the int8 kernel on quantize's int8 graphs (dynamic,
// static QDQ and QOperator); the plain-JS fallback, taken in real child processes where WebAssembly SIMD is
// unavailable, is still correct; the module runs with its kernel in Chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { quantize, type QuantizeOptions } from '../../src/compress/index.js';
import { runPass } from '../../src/compress/pass.js';
import { weightQuantizationPass } from '../../src/compress/quantize-weights.js';
import { generateJs } from '../../src/codegen/js.js';
import { programFromBytes, type WeightFormat } from '../../src/codegen/program.js';
import { signedLeb, unsignedLeb } from '../../src/codegen/wasm-bytes.js';
import { planWasm, type KernelChoice } from '../../src/codegen/wasm-layout.js';
import { Rng } from '../../src/envs/rng.js';
import { importGeneratedModule, type GeneratedPolicyModule } from '../../src/infer/js-runtime.js';
import { openPolicyBytes } from '../../src/infer/open.js';
import { floatAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { decodeModel, encodeModel } from '../../src/onnx/model.js';
import { DataType, float32Tensor } from '../../src/onnx/tensor.js';
import { launchChromium } from '../../src/util/chromium.js';
import { UsageError } from '../../src/util/errors.js';
import { agreement, CARTPOLE_TEACHER, committedCases, LUNAR_STUDENT, ortReference, visitedStates, type PolicyCase } from './cases.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-codegen-wasm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STATES = 10_000;
const MLPS = ['CartPole 16-16 student', 'LunarLander 64-64 student', 'CartPole teacher'].map((name) => committedCases().find((c) => c.name === name)!);

type WithKernels = GeneratedPolicyModule & { kernels: 'wasm-simd' | 'js' };

function source(c: PolicyCase, kernels: KernelChoice, weights: WeightFormat = 'float32'): string {
  return generateJs(programFromBytes(c.bytes, c.name, { env: c.env, weights }), { kernels });
}

/** Outputs of every state (qValuesBatch) and the action of each (act), as the module computes them. */
function runModule(module: GeneratedPolicyModule, states: Float32Array): { q: Float32Array; actions: Int32Array } {
  const count = states.length / module.observationSize;
  const actions = new Int32Array(count);
  for (let s = 0; s < count; s++) actions[s] = module.act(states.subarray(s * module.observationSize, (s + 1) * module.observationSize));
  return { q: module.qValuesBatch(states, count), actions };
}

function assertAgrees(what: string, expected: Float32Array, q: Float32Array, actionCount: number, actions: ArrayLike<number>): void {
  const result = agreement(expected, q, actionCount, actions);
  assert.equal(result.outOfTolerance, 0, `${what}: ${result.outOfTolerance} outputs beyond tolerance (max error ${result.maxError})`);
  assert.equal(result.realMismatches, 0, `${what}: actions differ from onnxruntime on ${result.realMismatches} states that are not ties`);
  assert.ok(result.tieMismatches <= actions.length / 1000, `${what}: ${result.tieMismatches} tie mismatches`);
}

const references = new Map<string, Promise<{ states: Float32Array; expected: Float32Array }>>();
/** The env's visited states and onnxruntime-node's outputs on them, once per file. */
function reference(c: PolicyCase): Promise<{ states: Float32Array; expected: Float32Array }> {
  if (!references.has(c.name)) {
    references.set(c.name, (async () => {
      const states = await visitedStates(c.envId, STATES);
      return { states, expected: await ortReference(c, states, STATES) };
    })());
  }
  return references.get(c.name)!;
}

for (const c of MLPS) {
  test(`wasm-simd: ${c.name}, forced and under auto, matches onnxruntime-node on ${STATES} visited states`, async () => {
    const { states, expected } = await reference(c);
    for (const kernels of ['wasm-simd', 'auto'] as const) {
      const module = (await importGeneratedModule(source(c, kernels))) as WithKernels;
      assert.equal(module.kernels, 'wasm-simd', `${kernels}: the kernel runs here`);
      const { q, actions } = runModule(module, states);
      assertAgrees(`${c.name} (${kernels})`, expected, q, module.actionCount, actions);
    }
  });
}

/**
 * A LunarLander-shaped MLP for the kernel's edges: row counts that leave the last group of rows 8, 12 and 4
 * wide (21, 12, 7 and 4 rows), the activations the kernel applies itself (LeakyRelu, Clip) and one that JS
 * applies after it (Tanh). Random weights, fixed seed.
 */
function edgeCaseModel(): PolicyCase {
  const rng = new Rng(7);
  const sizes = [8, 21, 12, 7, 4];
  const nodes = [];
  const initializers = [float32Tensor('clip_min', [], [-0.5]), float32Tensor('clip_max', [], [0.8])];
  let x = 'obs';
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [columns, rows] = [sizes[l], sizes[l + 1]];
    initializers.push(float32Tensor(`w${l}`, [columns, rows], Array.from({ length: rows * columns }, () => rng.uniform(-1, 1))));
    initializers.push(float32Tensor(`b${l}`, [rows], Array.from({ length: rows }, () => rng.uniform(-0.3, 0.3))));
    const y = l === sizes.length - 2 ? 'q_values' : `h${l}`;
    nodes.push(makeNode('Gemm', [x, `w${l}`, `b${l}`], [l === sizes.length - 2 ? y : `g${l}`], `dense${l}`));
    if (l === 0) nodes.push(makeNode('LeakyRelu', [`g${l}`], [y], 'leaky', [floatAttr('alpha', 0.1)]));
    if (l === 1) nodes.push(makeNode('Clip', [`g${l}`, 'clip_min', 'clip_max'], [y], 'clip'));
    if (l === 2) nodes.push(makeNode('Tanh', [`g${l}`], [y], 'tanh'));
    x = y;
  }
  const model = makeModel({
    graph: {
      name: 'edges',
      node: nodes,
      initializer: initializers,
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 8])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 4])],
    },
    metadata: { 'qdistill.env': 'LunarLander-v3' },
  });
  return { name: 'edge-case MLP', bytes: encodeModel(model), envId: 'LunarLander-v3' };
}

test('wasm-simd: partial row groups, LeakyRelu and Clip in the kernel, Tanh after it, and int8 weights per tensor and per row match onnxruntime', async () => {
  const float = edgeCaseModel();
  const program = programFromBytes(float.bytes, float.name);
  const plan = planWasm(program, 'wasm-simd')!;
  // Tanh is applied in JS, so the run of layers is cut after the third: two wasm calls.
  assert.deepEqual(plan.segments.map((s) => s.layers.map((l) => l.step)), [[0, 1, 2], [3]]);
  const states = await visitedStates('LunarLander-v3', STATES);
  const cases: [PolicyCase, WeightFormat, PolicyCase][] = [[float, 'float32', float]];
  for (const perChannel of [false, true]) {
    // --weights int8 of a weights-only file keeps the file's int8 values and its one scale or one per row.
    const quantized = { ...float, name: `edge-case MLP, weights-only int8 ${perChannel ? 'per row' : 'per tensor'}`, bytes: encodeModel(runPass(weightQuantizationPass, decodeModel(float.bytes), { perChannel }).model) };
    cases.push([quantized, 'int8', quantized]);
  }
  for (const [c, weights, ref] of cases) {
    const module = (await importGeneratedModule(source(c, 'wasm-simd', weights))) as WithKernels;
    assert.equal(module.kernels, 'wasm-simd');
    const { q, actions } = runModule(module, states);
    assertAgrees(c.name, await ortReference(ref, states, STATES), q, 4, actions);
  }
});

/** onnxruntime-node's outputs one state at a time: a dynamic int8 graph quantizes each call's input as a whole. */
async function ortOneByOne(bytes: Uint8Array, where: string, states: Float32Array, size: number): Promise<Float32Array> {
  const policy = await openPolicyBytes(bytes, where, { runtime: 'ort-cpu', graphOptimizationLevel: 'basic' });
  const out = new Float32Array((states.length / size) * policy.spec.actionCount);
  for (let s = 0; s < states.length / size; s++) out.set(await policy.qValues(states.subarray(s * size, (s + 1) * size), 1), s * policy.spec.actionCount);
  await policy.dispose();
  return out;
}

test('int8 graphs from quantize (dynamic; static QDQ and QOperator; every layer integer) run in the int8 kernel and match onnxruntime-node', async () => {
  const variants: [PolicyCase, QuantizeOptions['mode'], QuantizeOptions['format'], string][] = [
    [MLPS[1], 'dynamic', undefined, 'dynamic rescale'],
    [MLPS[1], 'static', 'qdq', 'static rescale'],
    [MLPS[2], 'static', 'qoperator', 'static requantize'],
  ];
  for (const [c, mode, format, kinds] of variants) {
    const out = join(dir, `${c.envId}-${mode}-${format ?? ''}.onnx`);
    await quantize(c === MLPS[1] ? LUNAR_STUDENT : CARTPOLE_TEACHER, { out, mode, format, perChannel: true, quantizeInputLayer: true, episodes: 0 });
    const bytes = new Uint8Array(readFileSync(out));
    const program = programFromBytes(bytes, out);
    const integer = program.steps.flatMap((s) => (s.kind === 'dense' && s.integer ? [`${s.integer.input.kind} ${s.integer.output.kind}`] : []));
    // Every layer integer, and the form under test among them (QOperator's last layer rescales to float).
    assert.ok(integer.length === program.steps.length && integer.includes(kinds), `${out}: steps ${integer.join(', ')}`);
    const states = await visitedStates(c.envId, STATES);
    const size = program.observationSize;
    const expected = await ortOneByOne(bytes, out, states, size);
    for (const kernels of ['wasm-simd', 'auto'] as const) {
      const module = (await importGeneratedModule(generateJs(program, { kernels }))) as WithKernels;
      assert.equal(module.kernels, 'wasm-simd');
      const { q, actions } = runModule(module, states);
      assertAgrees(`${c.name} int8 ${mode} ${format ?? ''} (${kernels})`, expected, q, module.actionCount, actions);
    }
  }
});

/** Runs a module file in a child `node <flags>`: its `kernels` export, and the outputs and actions on the states. */
function runInChild(flags: readonly string[], modulePath: string, states: Float32Array, actionCount: number): { kernels: string; q: Float32Array; actions: Float32Array } {
  const script = join(dir, 'run-policy.mjs');
  writeFileSync(
    script,
    `import { readFileSync, writeFileSync } from 'node:fs';
const m = await import(process.argv[2]);
const bytes = readFileSync(process.argv[3]);
const states = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const count = states.length / m.observationSize;
const out = new Float32Array(count * (m.actionCount + 1));
out.set(m.qValuesBatch(states, count));
for (let s = 0; s < count; s++) out[count * m.actionCount + s] = m.act(states.subarray(s * m.observationSize, (s + 1) * m.observationSize));
writeFileSync(process.argv[4], out);
process.stdout.write(m.kernels);
`,
  );
  const statesPath = join(dir, 'states.bin');
  const outPath = join(dir, 'outputs.bin');
  writeFileSync(statesPath, states);
  const r = spawnSync(process.execPath, [...flags, script, pathToFileURL(modulePath).href, statesPath, outPath], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const raw = readFileSync(outPath);
  const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const split = all.length - all.length / (actionCount + 1);
  return { kernels: r.stdout, q: all.subarray(0, split), actions: all.subarray(split) };
}

test('without WebAssembly SIMD the module runs its plain loops and still matches onnxruntime (child processes); it passes node --check', async () => {
  const noSimd = join(dir, 'no-simd.mjs');
  // What an engine without SIMD says about the kernel's bytes; the module's own probe must take the answer.
  writeFileSync(noSimd, 'WebAssembly.validate = () => false;\n');
  for (const [c, flags, want] of [
    [MLPS[1], ['--import', pathToFileURL(noSimd).href], 'js'],
    // --jitless: no WebAssembly at all.
    [MLPS[0], ['--jitless'], 'js'],
    [MLPS[0], [], 'wasm-simd'],
  ] as const) {
    const modulePath = join(dir, `${c.name.replace(/\W+/g, '-')}.mjs`);
    writeFileSync(modulePath, source(c, 'wasm-simd'));
    const check = spawnSync(process.execPath, ['--check', modulePath], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const { states, expected } = await reference(c);
    const actionCount = expected.length / STATES;
    const { kernels, q, actions } = runInChild(flags, modulePath, states, actionCount);
    assert.equal(kernels, want, `${c.name} with [${flags.join(' ')}]`);
    assertAgrees(`${c.name} with [${flags.join(' ')}]`, expected, q, actionCount, actions);
  }
});

test('the module with its kernel runs in Chromium (synchronous compile on the page) and agrees with onnxruntime-node there', async () => {
  const c = MLPS[2];
  const text = source(c, 'auto');
  const { states, expected } = await reference(c);
  const count = 200;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const fromBrowser = await page.evaluate(
      async ({ text, states, count }) => {
        const module = await import(URL.createObjectURL(new Blob([text], { type: 'text/javascript' })));
        const observations = Float32Array.from(states);
        const actions = [];
        for (let s = 0; s < count; s++) actions.push(module.act(observations.subarray(s * 4, (s + 1) * 4)));
        return { kernels: module.kernels as string, q: Array.from(module.qValuesBatch(observations, count) as Float32Array), actions };
      },
      { text, states: Array.from(states.subarray(0, count * 4)), count },
    );
    assert.equal(fromBrowser.kernels, 'wasm-simd');
    assertAgrees('Chromium', expected.subarray(0, count * 2), Float32Array.from(fromBrowser.q), 2, fromBrowser.actions);
  } finally {
    await browser.close();
  }
});

test('the byte emitter: LEB128 as the spec encodes it; a kernel choice that does not exist is a UsageError', () => {
  assert.deepEqual(unsignedLeb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(unsignedLeb(0), [0]);
  assert.deepEqual(signedLeb(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(signedLeb(-1), [0x7f]);
  assert.deepEqual(signedLeb(64), [0xc0, 0x00]);
  const program = programFromBytes(MLPS[0].bytes, MLPS[0].name);
  assert.throws(() => generateJs(program, { kernels: 'gpu' as KernelChoice }), (e: unknown) => e instanceof UsageError && /kernels/.test(e.message));
  assert.doesNotMatch(generateJs(program, { kernels: 'js' }), /instantiateKernel|new WebAssembly/);
});
