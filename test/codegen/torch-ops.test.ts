// The ops of issue 12 as PyTorch really exports them (test/support/torch_ops.py, run with /usr/bin/python3's
// torch into a temp folder): LayerNormalization, Selu, Softplus, PRelu, GELU (Div, Erf, Add, Mul), SiLU
// (Sigmoid, Mul), BatchNormalization in eval mode, a dueling head written v + a − a.mean(1) without brackets,
// and a float→float Cast prologue. Each file passes the reference checker, and its Q-values on 500 random
// states equal torch's in ort-cpu, ort-wasm, the js runtime, the js export (imported) and the C export (gcc -Werror).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { exportC, exportJs } from '../../src/export/code.js';
import { openPolicy } from '../../src/infer/open.js';
import { decodeModel } from '../../src/onnx/model.js';
import { inspectModel } from '../../src/onnx/inspect.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { compile, runCompiled } from '../support/c-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-torch-ops-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 500;
const ACTIONS = 2;
const ENV = 'CartPole-v1';

/** case name → the op types of its nodes, as the script printed them. */
const cases = new Map<string, string[]>();
let states: Float32Array;

before(() => {
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '../support/torch_ops.py'), dir], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`cannot run /usr/bin/python3: ${r.error.message}`);
  if (/No module named 'torch'/.test(r.stderr)) throw new Error('/usr/bin/python3 has no torch (apt-get install python3-torch)');
  assert.equal(r.status, 0, r.stderr);
  for (const line of readFileSync(join(dir, 'cases.txt'), 'utf8').trim().split('\n')) {
    const [name, ...ops] = line.split(' ');
    cases.set(name, ops);
  }
  states = f32(join(dir, 'states.f32'));
});

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Largest |actual − expected| / (1 + |expected|) — at most 1e-5: 1e-5 absolute near 0, 1e-5 relative beyond 1. */
function worstError(expected: Float32Array, actual: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const TOLERANCE = 1e-5;

/** The compiled header's outputs on the test's states. */
function runC(header: string): Float32Array {
  return runCompiled(compile(header), states, N, ACTIONS).q;
}

const EXPECTED_OPS: Record<string, string[]> = {
  layernorm: ['LayerNormalization'],
  selu: ['Selu'],
  softplus: ['Softplus'],
  prelu: ['PRelu'],
  gelu: ['Div', 'Erf', 'Add', 'Mul'],
  silu: ['Sigmoid', 'Mul'],
  hardswish: ['HardSwish'],
  hardsigmoid: ['HardSigmoid'],
  softsign: ['Abs', 'Add', 'Div'],
  mish: ['Softplus', 'Tanh', 'Mul'],
  relu6: ['Clip'],
  'softsign-op': ['Softsign'],
  batchnorm: ['BatchNormalization'],
  'dueling-unbracketed': ['Add', 'ReduceMean', 'Sub'],
  cast: ['Cast'],
};

for (const name of Object.keys(EXPECTED_OPS)) {
  test(`torch export '${name}' (${EXPECTED_OPS[name].join(', ')}): torch's Q-values in ort-cpu, ort-wasm, the js runtime, export js and export c`, async () => {
    const ops = cases.get(name);
    assert.ok(ops, `the script wrote no '${name}' case`);
    for (const op of EXPECTED_OPS[name]) assert.ok(ops.includes(op), `torch's '${name}' export has no ${op} node: ${ops.join(' ')}`);
    const file = join(dir, `${name}.onnx`);
    const check = referenceCheck(file);
    assert.ok(check.ok, check.message);
    const expected = f32(join(dir, `${name}.q.f32`));
    const errors: Record<string, number> = {};

    for (const runtime of ['ort-cpu', 'ort-wasm', 'js'] as const) {
      const policy = await openPolicy(file, { runtime, env: ENV });
      errors[runtime] = worstError(expected, await policy.qValues(states, N));
      await policy.dispose();
    }

    const mjs = join(dir, `${name}.mjs`);
    exportJs(file, { out: mjs, env: ENV });
    const module = (await import(pathToFileURL(mjs).href)) as { qValuesBatch(obs: Float32Array, batch: number): Float32Array };
    errors['export js'] = worstError(expected, module.qValuesBatch(states, N));

    const header = join(dir, `${name.replace(/-/g, '_')}.h`);
    exportC(file, { out: header, env: ENV });
    errors['export c'] = worstError(expected, runC(header));

    if (process.env.QDISTILL_SHOW_ERRORS) console.log(name, JSON.stringify(errors));
    for (const [where, error] of Object.entries(errors)) assert.ok(error <= TOLERANCE, `${name} in ${where}: error ${error} > ${TOLERANCE} (all: ${JSON.stringify(errors)})`);
    // Elementwise ops cost no multiply-accumulates; the Gemms do.
    const summary = inspectModel(decodeModel(readFileSync(file), file));
    assert.equal(summary.macs, summary.macsByOp.Gemm);
    assert.ok(summary.macs !== null && summary.macs > 0);
  });
}

test('the float→float Cast is a no-op: the cast case computes what the relu case (its source) does', async () => {
  const a = await openPolicy(join(dir, 'cast.onnx'), { runtime: 'js', env: ENV });
  const b = await openPolicy(join(dir, 'relu.onnx'), { runtime: 'js', env: ENV });
  assert.deepEqual(await a.qValues(states, N), await b.qValues(states, N));
  await a.dispose();
  await b.dispose();
});
