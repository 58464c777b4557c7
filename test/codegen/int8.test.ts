// int8 graphs compiled: the files our own `quantize` writes (static QDQ, static QOperator, dynamic) and one
// written the way onnxruntime's quantizer writes its (non-zero zero points, int8 activations, uint8 weights,
// per-channel scales), exported to an ES module and to a C header, against onnxruntime-node on the same file.
//
// Tolerance: a QOperator file computes nothing in float between QuantizeLinear and the last DequantizeLinear
// that could round differently, so the module and the C header in `--requantize float` give onnxruntime's
// numbers bit for bit. Where a float layer (the layer reading the observation, kept float by default) or a QDQ
// group's float op feeds a quantizer, a float32 rounding difference can move a value across a rounding boundary,
// and C's fixed-point requantization rounds the exact product where onnxruntime rounds a float32 product first:
// then one 8-bit code differs by one step. So: at most 0.1 % of the outputs beyond the float tolerance, none by
// more than INT8_MAX_ERROR, and no action that differs outside a near-tie.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REQUANTIZATIONS, type Requantization } from '../../src/codegen/c-int8.js';
import { generateC } from '../../src/codegen/c.js';
import { generateJs } from '../../src/codegen/js.js';
import { programFromBytes, type Program } from '../../src/codegen/program.js';
import { quantize } from '../../src/compress/api.js';
import { importGeneratedModule } from '../../src/infer/js-runtime.js';
import { openPolicyBytes } from '../../src/infer/open.js';
import { intAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int8Tensor } from '../../src/onnx/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { compileWith, runCompiled } from '../support/c-harness.js';
import { agreement, CARTPOLE_STUDENT, LUNAR_STUDENT, visitedStates, type Agreement } from './cases.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-codegen-int8-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const COUNT = 10_000;
/** Largest difference from onnxruntime allowed where one 8-bit code may differ by one step (see the top). */
const INT8_MAX_ERROR = 0.05;

interface Int8Case {
  name: string;
  bytes: Uint8Array;
  envId: string;
  /** Whether the ES module (and C with --requantize float) must give onnxruntime's numbers exactly. */
  exact: boolean;
  dynamic: boolean;
  /** The largest difference allowed (one step of the coarsest quantizer an output depends on). */
  maxError: number;
}

const STUDENTS = [
  { name: 'CartPole 16-16 student', path: CARTPOLE_STUDENT, envId: 'CartPole-v1' },
  { name: 'LunarLander 64-64 student', path: LUNAR_STUDENT, envId: 'LunarLander-v3' },
];
const FORMS = {
  'static QDQ': { mode: 'static', format: 'qdq' },
  'static QOperator': { mode: 'static', format: 'qoperator' },
  dynamic: { mode: 'dynamic' },
} as const;

let made: Promise<Int8Case[]> | null = null;
/** The six files `quantize` writes for the two students, made once. */
function quantizedCases(): Promise<Int8Case[]> {
  made ??= (async () => {
    const cases: Int8Case[] = [];
    for (const s of STUDENTS) {
      for (const [form, options] of Object.entries(FORMS)) {
        const out = join(dir, `${s.envId.replace(/\W/g, '')}-${options.mode}-${'format' in options ? options.format : 'dynamic'}.onnx`);
        await quantize(s.path, { out, episodes: 0, calibrationStates: 500, ...options });
        cases.push({ name: `${s.name}, ${form}`, bytes: new Uint8Array(readFileSync(out)), envId: s.envId, exact: form === 'static QOperator', dynamic: form === 'dynamic', maxError: INT8_MAX_ERROR });
      }
    }
    return cases;
  })();
  return made;
}

const references = new Map<string, Float32Array>();
/**
 * onnxruntime-node's outputs, the graph as written (level 'basic'); for dynamic files one observation at a time:
 * DynamicQuantizeLinear takes its range over the whole input tensor, so a batch would quantize states together,
 * and the generated code quantizes each observation on its own (what onnxruntime does for a batch of one).
 */
async function reference(c: Int8Case, states: Float32Array, size: number, actions: number): Promise<Float32Array> {
  const known = references.get(c.name);
  if (known) return known;
  const policy = await openPolicyBytes(c.bytes, c.name, { runtime: 'ort-cpu', graphOptimizationLevel: 'basic' });
  let out: Float32Array;
  if (c.dynamic) {
    out = new Float32Array(COUNT * actions);
    for (let s = 0; s < COUNT; s++) out.set(await policy.qValues(states.subarray(s * size, (s + 1) * size), 1), s * actions);
  } else {
    out = await policy.qValues(states, COUNT);
  }
  await policy.dispose();
  references.set(c.name, out);
  return out;
}

function assertActsLike(what: string, result: Agreement, outputs: number, exact: boolean, maxError = INT8_MAX_ERROR): void {
  if (exact) assert.equal(result.maxError, 0, `${what}: not onnxruntime's numbers (max error ${result.maxError})`);
  assert.equal(result.realMismatches, 0, `${what}: ${result.realMismatches} actions differ from onnxruntime outside near-ties`);
  assert.ok(result.tieMismatches <= COUNT / 1000, `${what}: ${result.tieMismatches} tie mismatches`);
  assert.ok(result.outOfTolerance <= outputs / 1000, `${what}: ${result.outOfTolerance} outputs beyond the float tolerance`);
  assert.ok(result.maxError <= maxError, `${what}: max error ${result.maxError}`);
}

const summary = (r: Agreement) => `max |Δq| ${r.maxError}, ${r.outOfTolerance} outputs beyond 1e-4 relative, ${r.realMismatches} + ${r.tieMismatches} (ties) action mismatches`;

function integerSteps(program: Program): number {
  return program.steps.filter((s) => (s.kind === 'dense' || s.kind === 'conv2d') && s.integer).length;
}

let headers = 0;
function writeHeader(program: Program, requantize: Requantization): { path: string; text: string } {
  const name = `int8_${headers++}.h`;
  const path = join(dir, name);
  const text = generateC(program, { fileName: name, requantize });
  writeFileSync(path, text);
  return { path, text };
}

test('export js and export c: the int8 files quantize writes act like onnxruntime-node on 10,000 visited states', async (t) => {
  for (const c of await quantizedCases()) {
    const states = await visitedStates(c.envId, COUNT);
    const program = programFromBytes(c.bytes, c.name, { target: 'export js' });
    assert.equal(integerSteps(program), 2, `${c.name}: the two layers after the observation's are integer steps`);
    const size = program.observationSize;
    const actions = program.actionCount;
    const expected = await reference(c, states, size, actions);

    const module = await importGeneratedModule(generateJs(program, { kernels: 'js' }));
    const js = agreement(expected, module.qValuesBatch(states, COUNT), actions);
    assertActsLike(`${c.name} (js)`, js, expected.length, c.exact);

    const fixed = writeHeader(program, 'fixed-point');
    assert.match(fixed.text, /QDISTILL_INTEGER static void qdistill_integer/);
    const compiled = runCompiled(compileWith(fixed.path, ['-pedantic']).exe, states, COUNT, actions);
    const cFixed = agreement(expected, compiled.q, actions, compiled.act);
    assertActsLike(`${c.name} (C, fixed-point)`, cFixed, expected.length, false);
    let line = `${c.name}: js ${summary(js)}; C fixed-point ${summary(cFixed)}`;
    if (c.exact) {
      const float = runCompiled(compileWith(writeHeader(program, 'float').path, ['-pedantic']).exe, states, COUNT, actions);
      const cFloat = agreement(expected, float.q, actions, float.act);
      assertActsLike(`${c.name} (C, --requantize float)`, cFloat, expected.length, true);
      line += `; C float ${summary(cFloat)}`;
    }
    t.diagnostic(line);
  }
});

test('export c: integer layers hand 8-bit codes on by fixed-point requantization, and their functions use no float', async () => {
  const qoperator = (await quantizedCases()).find((c) => c.name.startsWith('LunarLander') && c.name.endsWith('QOperator'))!;
  const { path, text } = writeHeader(programFromBytes(qoperator.bytes, qoperator.name, { target: 'export c' }), 'fixed-point');
  // Step 2 writes step 3's codes: no float between them; the header says which parts are float.
  assert.match(text, /step 2: float input quantized to codes \(float\); .*; fixed-point requantization to step 3's codes \(integer\)/);
  assert.match(text, /step 3: codes from the step before \(integer\); .*; int32 sums back to float \(float\)/);
  assert.match(text, /qdistill_shift_round\(\(int64_t\)sum\[r\] \* \d+/);
  if (process.arch !== 'x64') return;
  // gcc refuses any float arithmetic in a general-regs-only function, so compiling the integer functions so (not
  // inlined into their float callers) is the check; the same header with one float operation slipped into an
  // integer function must fail it.
  const regsOnly = (header: string) => {
    const unit = join(dir, `regs-only-${headers++}.c`);
    writeFileSync(unit, `#include "${header}"\nvoid entry(const float *obs, float *q) { qdistill_q_values(obs, q); }\n`);
    return spawnSync('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-DQDISTILL_INTEGER=__attribute__((target("general-regs-only"), noinline))', '-c', '-o', '/dev/null', unit], { encoding: 'utf8' });
  };
  const ok = regsOnly(path);
  assert.equal(ok.status, 0, `the integer functions use float or SIMD registers:\n${ok.stderr}`);
  const tampered = join(dir, 'tampered.h');
  writeFileSync(tampered, text.replace('    sum[r] = acc;', '    sum[r] = (int32_t)((float)acc * 0.5f);'));
  const bad = regsOnly(tampered);
  assert.notEqual(bad.status, 0, 'a float operation in an integer function went unnoticed');
  assert.match(bad.stderr, /SSE|x87|float/i);
});

/** A CartPole-shaped graph the way onnxruntime's quantizer writes one (see the test below). */
function ortStyleModel(): Uint8Array {
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const next = rng(7);
  const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)));
  const uint8 = (name: string, dims: number[], values: number[]) => ({ dims, dataType: DataType.UINT8, name, rawData: Uint8Array.from(values) });
  const int32 = (name: string, dims: number[], values: number[]) => {
    const rawData = new Uint8Array(values.length * 4);
    values.forEach((v, i) => new DataView(rawData.buffer).setInt32(i * 4, v, true));
    return { dims, dataType: DataType.INT32, name, rawData };
  };
  const xScale = 0.02;
  const w1Scale = 0.011;
  const initializer = [
    float32Tensor('x_scale', [], [xScale]),
    int8Tensor('x_zero', [], Int8Array.of(-3)),
    // uint8 weights with a zero point, stored [N, K] for a transB Gemm
    uint8('w1', [8, 4], ints(32, 60, 200)),
    float32Tensor('w1_scale', [], [w1Scale]),
    uint8('w1_zero', [], [131]),
    int32('b1', [8], ints(8, -400, 400)),
    float32Tensor('b1_scale', [], [Math.fround(Math.fround(xScale) * Math.fround(w1Scale))]),
    int32('b1_zero', [], [0]),
    float32Tensor('h_scale', [], [0.05]),
    uint8('h_zero', [], [10]),
    // int8 weights [K, N], per output column scales and (non-zero) zero points
    int8Tensor('w2', [8, 2], Int8Array.from(ints(16, -100, 100))),
    float32Tensor('w2_scale', [2], [0.02, 0.03]),
    int8Tensor('w2_zero', [2], Int8Array.of(2, -1)),
    float32Tensor('y_scale', [], [0.1]),
    uint8('y_zero', [], [128]),
  ];
  const node = [
    makeNode('QuantizeLinear', ['obs', 'x_scale', 'x_zero'], ['x_q'], 'obs_quantize'),
    makeNode('DequantizeLinear', ['x_q', 'x_scale', 'x_zero'], ['x_dq'], 'obs_dequantize'),
    makeNode('DequantizeLinear', ['w1', 'w1_scale', 'w1_zero'], ['w1_dq'], 'w1_dequantize'),
    makeNode('DequantizeLinear', ['b1', 'b1_scale', 'b1_zero'], ['b1_dq'], 'b1_dequantize'),
    makeNode('Gemm', ['x_dq', 'w1_dq', 'b1_dq'], ['h'], 'dense1', [intAttr('transB', 1)]),
    // onnxruntime's quantizer folds the ReLU into the output's range: Q → DQ of the raw sum.
    makeNode('QuantizeLinear', ['h', 'h_scale', 'h_zero'], ['h_q'], 'h_quantize'),
    makeNode('QLinearMatMul', ['h_q', 'h_scale', 'h_zero', 'w2', 'w2_scale', 'w2_zero', 'y_scale', 'y_zero'], ['y_q'], 'dense2'),
    makeNode('DequantizeLinear', ['y_q', 'y_scale', 'y_zero'], ['q_values'], 'q_dequantize'),
  ];
  return encodeModel(
    makeModel({
      graph: { name: 'ort-style', node, initializer, input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])], output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])] },
      opset: 13,
      metadata: { 'qdistill.env': 'CartPole-v1' },
    }),
  );
}

test("onnxruntime-quantizer-style int8 (int8 activations, uint8 weights, non-zero zero points, per-channel) compiles to what onnxruntime computes", async (t) => {
  // Its Q-values are requantized to steps of 0.1 (y_scale): one code is 0.1.
  const c: Int8Case = { name: 'onnxruntime-style int8 graph', bytes: ortStyleModel(), envId: 'CartPole-v1', exact: false, dynamic: false, maxError: 0.1 + 1e-6 };
  const states = await visitedStates(c.envId, COUNT);
  const program = programFromBytes(c.bytes, c.name, { target: 'export js' });
  assert.equal(integerSteps(program), 2);
  const expected = await reference(c, states, 4, 2);
  const js = agreement(expected, (await importGeneratedModule(generateJs(program, { kernels: 'js' }))).qValuesBatch(states, COUNT), 2);
  assertActsLike(`${c.name} (js)`, js, expected.length, false, c.maxError);
  const compiled = runCompiled(compileWith(writeHeader(program, 'fixed-point').path, ['-pedantic']).exe, states, COUNT, 2);
  const cFixed = agreement(expected, compiled.q, 2, compiled.act);
  assertActsLike(`${c.name} (C, fixed-point)`, cFixed, expected.length, false, c.maxError);
  t.diagnostic(`${c.name}: js ${summary(js)}; C fixed-point ${summary(cFixed)}`);
});

test('an int8 form the generators do not support is a UsageError naming the op and the node', () => {
  const model = (node: ReturnType<typeof makeNode>[], initializer: ReturnType<typeof float32Tensor>[]) =>
    encodeModel(
      makeModel({
        graph: { name: 'bad', node, initializer, input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])], output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])] },
        opset: 13,
        metadata: { 'qdistill.env': 'CartPole-v1' },
      }),
    );
  const weights = [float32Tensor('w', [4, 2], new Float32Array(8)), float32Tensor('s', [], [0.1]), float32Tensor('per_axis', [4], [0.1, 0.1, 0.2, 0.2])];
  const perAxis = model(
    [makeNode('QuantizeLinear', ['obs', 'per_axis'], ['q'], 'obs_q', [intAttr('axis', 1)]), makeNode('DequantizeLinear', ['q', 'per_axis'], ['dq'], 'obs_dq', [intAttr('axis', 1)]), makeNode('MatMul', ['dq', 'w'], ['q_values'], 'mm')],
    weights,
  );
  assert.throws(() => programFromBytes(perAxis, 'per-axis.onnx', { target: 'export c' }), (e: unknown) => e instanceof UsageError && /^export c: node 'obs_q' \(QuantizeLinear\) has 4 values for scale/.test(e.message));
  const otherScale = model(
    [makeNode('QuantizeLinear', ['obs', 's'], ['q'], 'obs_q'), makeNode('DequantizeLinear', ['q', 'per_axis'], ['dq'], 'obs_dq'), makeNode('MatMul', ['dq', 'w'], ['q_values'], 'mm')],
    weights,
  );
  assert.throws(() => programFromBytes(otherScale, 'other-scale.onnx', { target: 'export js' }), (e: unknown) => e instanceof UsageError && /^export js: node 'obs_dq' \(DequantizeLinear\)/.test(e.message));
});

test('qdistill export c --requantize: the CLI writes the int8 header; the flag names are the generator\'s', async () => {
  assert.deepEqual([...REQUANTIZATIONS], ['fixed-point', 'float']);
  const c = (await quantizedCases())[1];
  const model = join(dir, 'cli-int8.onnx');
  writeFileSync(model, c.bytes);
  const out = join(dir, 'cli_int8.h');
  const r = runCli(['export', 'c', model, '--out', out, '--requantize', 'float', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).integerSteps, 2);
  assert.doesNotMatch(readFileSync(out, 'utf8'), /qdistill_shift_round/, '--requantize float leaves every layer through float');
  const bad = runCli(['export', 'c', model, '--out', out, '--requantize', 'double']);
  assert.equal(bad.status, 2);
  assert.equal(ourLines(bad.stderr).length, 1);
});
