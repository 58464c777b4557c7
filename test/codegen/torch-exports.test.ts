// `export js`, `export c` and the js runtime on files exported the ways users export them, made by torch in
// the test (test/support/export_action_policies.py): SB3's current export guide (the greedy action, an int64
// ArgMax output, after SB3's Flatten(Cast(obs)); dynamic batch and the guide's fixed batch of 1) and a real
// `.half()` export (float16 input, weights, Gemm/Relu and output, given --allow-fp16). The generated code
// returns the Q-values behind the actions, like for any other file: they equal torch's within 1e-5
// (relative to the largest), and its actions equal onnxruntime's run of the file itself.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { generateJs } from '../../src/codegen/js.js';
import { programFromBytes } from '../../src/codegen/program.js';
import { openPolicy } from '../../src/infer/open.js';
import { importGeneratedModule, type GeneratedPolicyModule } from '../../src/infer/js-runtime.js';
import { toFloat16Bits } from '../../src/onnx/tensor.js';
import { argmax } from '../../src/policy/agreement.js';
import { runCli } from '../cli/run-cli.js';
import { compile, runCompiled } from '../support/c-harness.js';
import { readFloat32 } from '../support/float32-file.js';
import { torchFixtures, worstRelative } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_action_policies.py', import.meta.url));
let dir = '';
let states: Float32Array = new Float32Array(0);
let count = 0;

before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-torch-codegen-');
  states = readFloat32(join(dir, 'states.f32'));
  count = states.length / 4;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An IEEE float16 bit pattern's value. */
function float16ToFloat32(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const magnitude = exponent === 0 ? fraction * 2 ** -24 : exponent === 31 ? (fraction ? NaN : Infinity) : (1 + fraction / 1024) * 2 ** (exponent - 15);
  return bits & 0x8000 ? -magnitude : magnitude;
}

/** onnxruntime's outputs for each state, run one at a time (the fixed-batch export takes a batch of 1). */
async function ortRows(file: string): Promise<{ actions: number[]; float16Ties: Set<number> }> {
  const session = await ort.InferenceSession.create(join(dir, file));
  const half = file === 'half.onnx';
  const actions: number[] = [];
  const float16Ties = new Set<number>();
  for (let s = 0; s < count; s++) {
    const observation = states.subarray(s * 4, s * 4 + 4);
    const input = half ? new ort.Tensor('float16', Uint16Array.from(observation, toFloat16Bits), [1, 4]) : new ort.Tensor('float32', observation, [1, 4]);
    const data = (await session.run({ obs: input }))[session.outputNames[0]].data;
    if (!half) {
      actions.push(Number((data as BigInt64Array)[0]));
      continue;
    }
    // float16 Q-values: their argmax, and whether both actions rounded to the same float16 value.
    const bits = data as Uint16Array;
    actions.push(argmax(Float32Array.from(bits, float16ToFloat32)));
    if (bits[0] === bits[1]) float16Ties.add(s);
  }
  await session.release();
  return { actions, float16Ties };
}

const CASES = [
  { file: 'argmax.onnx', reference: 'argmax.q.f32', options: {}, note: /holds int64 actions: reading the Q-values .* its ArgMax takes/ },
  { file: 'argmax-fixed.onnx', reference: 'argmax.q.f32', options: {}, note: /fixes the batch at 1/ },
  { file: 'half.onnx', reference: 'half.q.f32', options: { allowFp16: true }, note: /float16 weights widened to float32/ },
] as const;

async function generatedModule(file: string, options: { allowFp16?: boolean }): Promise<{ module: GeneratedPolicyModule; source: string; steps: string[] }> {
  const program = programFromBytes(new Uint8Array(readFileSync(join(dir, file))), join(dir, file), { env: 'CartPole-v1', target: 'export js', ...options });
  const source = generateJs(program);
  return { module: await importGeneratedModule(source), source, steps: program.steps.map((step) => step.kind) };
}

for (const c of CASES) {
  test(`export js: ${c.file} compiles to its Q-values (torch's within 1e-5) and onnxruntime's actions`, async () => {
    const { module, source, steps } = await generatedModule(c.file, c.options);
    assert.match(source, new RegExp(`// adapted: .*${c.note.source}`));
    assert.deepEqual(steps, ['dense', 'dense', 'dense']); // the three Linear layers: no Cast, no ArgMax
    assert.equal(module.actionCount, 2);
    const q = module.qValuesBatch(states, count);
    const error = worstRelative(q, readFloat32(join(dir, c.reference)));
    assert.ok(error <= 1e-5, `${c.file}: Q-values ${error} from torch's`);
    const { actions: expected, float16Ties: ties } = await ortRows(c.file);
    for (let s = 0; s < count; s++) {
      const action = module.act(states.subarray(s * 4, s * 4 + 4));
      assert.equal(action, argmax(q, s * 2, 2));
      if (!ties.has(s)) assert.equal(action, expected[s], `${c.file}: state ${s}`);
    }
    assert.ok(ties.size <= count / 50, `${ties.size} float16 ties`);
  });

  test(`export c (CLI): ${c.file} compiled by gcc gives torch's Q-values and onnxruntime's actions`, async () => {
    const header = join(dir, `${c.file}.h`);
    const r = runCli(['export', 'c', join(dir, c.file), '--env', 'CartPole-v1', ...('allowFp16' in c.options ? ['--allow-fp16'] : []), '--out', header, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.steps, ['dense', 'dense', 'dense']);
    assert.ok(summary.notes.some((n: string) => c.note.test(n)), summary.notes.join('\n'));
    const { q, act } = runCompiled(compile(header), states, count, 2);
    const error = worstRelative(q, readFloat32(join(dir, c.reference)));
    assert.ok(error <= 1e-5, `${c.file}: compiled Q-values ${error} from torch's`);
    const { actions: expected, float16Ties: ties } = await ortRows(c.file);
    for (let s = 0; s < count; s++) if (!ties.has(s)) assert.equal(act[s], expected[s], `${c.file}: state ${s}`);
  });
}

test("the js runtime runs the .half() export with --allow-fp16: float32 arithmetic on its float16 weights, torch's Q-values within 1e-5", async () => {
  const policy = await openPolicy(join(dir, 'half.onnx'), { env: 'CartPole-v1', runtime: 'js', allowFp16: true });
  try {
    assert.ok(worstRelative(await policy.qValues(states, count), readFloat32(join(dir, 'half.q.f32'))) <= 1e-5);
  } finally {
    await policy.dispose();
  }
});

test('export js/c: float16 without --allow-fp16 and actions-only files are one-line refusals (exit 2)', () => {
  const refuse = (args: string[], pattern: RegExp) => {
    const r = runCli(args);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('qdistill:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  };
  refuse(['export', 'js', join(dir, 'half.onnx'), '--env', 'CartPole-v1', '--out', join(dir, 'x.mjs')], /^qdistill: input 'obs' is float16; pass --allow-fp16/);
  refuse(['export', 'c', join(dir, 'table.onnx'), '--env', 'CartPole-v1', '--out', join(dir, 'x.h')], /^qdistill: export c: output 'actions' gives actions only .*export the network's Q-values/);
  refuse(['export', 'js', join(dir, 'two-heads.onnx'), '--env', 'CartPole-v1', '--output', 'nope', '--out', join(dir, 'x.mjs')], /^qdistill: --output 'nope' is not an output of the model \(outputs: probs, values\)/);
});

test('export js --output values compiles the named output of a two-output file', async () => {
  const out = join(dir, 'two.mjs');
  const r = runCli(['export', 'js', join(dir, 'two-heads.onnx'), '--env', 'CartPole-v1', '--output', 'values', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const module = (await import(out)) as GeneratedPolicyModule;
  assert.ok(worstRelative(module.qValuesBatch(states, count), readFloat32(join(dir, 'teacher.q.f32'))) <= 1e-5);
});
