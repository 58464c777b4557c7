// Policies exported the ways PyTorch / Stable-Baselines3 / CleanRL users export them (real torch.onnx.export
// runs by test/support/export_torch_policies.py with /usr/bin/python3's torch, into a temp folder): a fixed
// batch of 1, opsets 9 and 11, SB3's Flatten(Cast(obs)) prologue, an ArgMax (int64 actions) output, two
// outputs, float16 boundaries, initializers listed as inputs, a hard-coded Reshape(1, -1). Each runs batched
// with torch's own Q-values (≤ 1e-5 relative), goes through the int8 passes, or fails with one clear line.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPolicy, type OpenOptions } from '../../src/infer/open.js';
import { readModelFile } from '../../src/onnx/model.js';
import { applyPass, dynamicQuantizationPass, quantize } from '../../src/compress/index.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { defaultOpsetOf } from '../../src/onnx/opset-upgrade.js';
import { readFloat32 } from '../support/float32-file.js';
import { torchFixtures, worstRelative } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_torch_policies.py', import.meta.url));
let dir = '';


before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-torch-');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function qValues(name: string, options: OpenOptions, statesFile = 'states.f32'): Promise<{ q: Float32Array; notes: string[] }> {
  const notes: string[] = [];
  const policy = await openPolicy(join(dir, `${name}.onnx`), { env: 'CartPole-v1', ...options, onLog: (line) => notes.push(line) });
  try {
    const states = readFloat32(join(dir, statesFile));
    return { q: await policy.qValues(states, states.length / (statesFile === 'states.f32' ? 4 : 400)), notes };
  } finally {
    await policy.dispose();
  }
}

async function openError(name: string, options: OpenOptions): Promise<string> {
  try {
    await openPolicy(join(dir, `${name}.onnx`), { env: 'CartPole-v1', ...options });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${name} opened`);
}

const CASES: { name: string; options?: OpenOptions; note?: RegExp; tolerance?: number; runtimes?: string[] }[] = [
  { name: 'fixed-batch', note: /fixes the batch at 1/, runtimes: ['ort-cpu', 'ort-wasm', 'js'] },
  { name: 'opset9' },
  { name: 'opset11' },
  { name: 'sb3-prologue', note: /fixes the batch/, runtimes: ['ort-cpu', 'js'] },
  { name: 'argmax', note: /holds int64 actions: reading the Q-values/, runtimes: ['ort-cpu', 'js'] },
  { name: 'two-outputs', options: { output: 'values' } },
  { name: 'init-inputs', note: /initializers are also listed/, runtimes: ['ort-cpu', 'js'] },
  { name: 'fp16', options: { allowFp16: true }, note: /float16/, tolerance: 1e-5 },
];

for (const c of CASES) {
  for (const runtime of c.runtimes ?? ['ort-cpu']) {
    test(`${c.name} on ${runtime}: batched Q-values equal torch's`, async () => {
      const { q, notes } = await qValues(c.name, { ...c.options, runtime });
      assert.ok(worstRelative(q, readFloat32(join(dir, `${c.name}.q.f32`))) <= (c.tolerance ?? 1e-5));
      if (c.note) assert.ok(notes.some((line) => c.note!.test(line)), notes.join('\n'));
    });
  }
}

test("MinAtar CNN with a hard-coded Reshape(1, -1) runs batched (NCHW) with torch's Q-values", async () => {
  const { q } = await qValues('minatar-fixed-reshape', { env: 'MinAtar/Breakout' }, 'minatar-states.f32');
  assert.ok(worstRelative(q, readFloat32(join(dir, 'minatar-fixed-reshape.q.f32'))) <= 1e-5);
});

test('two outputs without --output read the first and say how to pick another', async () => {
  const { notes } = await qValues('two-outputs', {});
  assert.ok(notes.some((line) => /reading output 'probs' of 2 \(probs, values\); --output <name>/.test(line)), notes.join('\n'));
  assert.match(await openError('two-outputs', { output: 'nope' }), /^--output 'nope' is not an output of the model \(outputs: probs, values\)/);
});

test('one-line errors: float16 without --allow-fp16, action count, input shape', async () => {
  assert.match(await openError('fp16', {}), /^input 'obs' is float16; pass --allow-fp16 .* or export the model with a float32 input/);
  assert.match(
    await openError('minatar-6-actions', { env: 'MinAtar/Breakout' }),
    /^output 'q_values' has shape \[1, 6\], but MinAtar\/Breakout has 3 actions: expected \[batch, 3\] — the model gives 6 actions, MinAtar\/Breakout takes 3/,
  );
  assert.match(await openError('wrong-input', {}), /^input 'obs' has shape \[1, 8\], but CartPole-v1 observations are \[batch, 4\]/);
});

test('quantize --mode dynamic raises opset 9 to 11 and keeps the SB3 input layer (after Flatten(Cast)) in float', async () => {
  const out9 = join(dir, 'opset9.int8.onnx');
  const r9 = await applyPass(dynamicQuantizationPass, join(dir, 'opset9.onnx'), out9, { perChannel: false, keepInputLayer: true }, 'CartPole-v1');
  assert.equal(defaultOpsetOf(readModelFile(out9)), 11);
  assert.ok(r9.report.changes.some((line) => /^opset 9 → 11/.test(line)));
  assert.ok(r9.comparison!.agreement >= 0.99);
  const outSb3 = join(dir, 'sb3.int8.onnx');
  const rSb3 = await applyPass(dynamicQuantizationPass, join(dir, 'sb3-prologue.onnx'), outSb3, { perChannel: false, keepInputLayer: true }, 'CartPole-v1');
  assert.equal(rSb3.report.changes.length, 2); // the hidden layers; the first Gemm reads Flatten(Cast(obs))
  assert.deepEqual(rSb3.report.declined, { Gemm: 1 });
  // The pass output keeps the user's fixed batch (only the runtime copy is made symbolic).
  assert.equal(readModelFile(outSb3).graph!.input[0].type!.tensorType!.shape!.dim[0].dimValue, 1);
});

for (const name of ['opset9', 'opset11']) {
  for (const [label, options] of [
    ['static qoperator', { mode: 'static', format: 'qoperator' }],
    ['weights-only per channel', { mode: 'weights-only', perChannel: true }],
  ] as const) {
    test(`quantize ${label} on torch's ${name} export: the opset is raised where the ops need it, and the file passes the ONNX checker`, async () => {
      const out = join(dir, `${name}.${label.replace(/ /g, '-')}.onnx`);
      const r = await quantize(join(dir, `${name}.onnx`), { ...options, out, env: 'CartPole-v1', episodes: 0 });
      assert.ok(r.report.changes.length > 0, 'nothing was quantized');
      assert.equal(defaultOpsetOf(readModelFile(out)), 13);
      const check = referenceCheck(out);
      assert.ok(check.ok, check.message);
      assert.ok(r.comparison!.agreement >= 0.9, `agreement ${r.comparison!.agreement}`);
    });
  }
}
