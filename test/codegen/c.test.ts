import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateC, cFloat } from '../../src/codegen/c.js';
import { programFromBytes, type WeightFormat } from '../../src/codegen/program.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { agreement, committedCases, compressedCases, duelingCase, LUNAR_STUDENT, ortReference, stateCount, visitedStates, type PolicyCase } from './cases.js';
import { compile, runCompiled } from '../support/c-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-codegen-c-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function assertCompiledMatchesOrt(c: PolicyCase, headerPath: string, actions: number): Promise<void> {
  const count = stateCount(c.envId);
  const states = await visitedStates(c.envId, count);
  const { q, act } = runCompiled(compile(headerPath), states, count, actions);
  const expected = await ortReference(c, states, count);
  const result = agreement(expected, q, actions, act);
  assert.equal(result.outOfTolerance, 0, `${c.name}: ${result.outOfTolerance} outputs beyond tolerance (max error ${result.maxError})`);
  assert.equal(result.realMismatches, 0, `${c.name}: the compiled act differs from onnxruntime on ${result.realMismatches} states that are not ties`);
  assert.ok(result.tieMismatches <= count / 1000, `${c.name}: ${result.tieMismatches} tie mismatches`);
}

let headers = 0;
function writeHeader(c: PolicyCase, weights: WeightFormat = 'float32'): { path: string; actions: number; text: string } {
  const program = programFromBytes(c.bytes, c.name, { env: c.env, weights, target: 'export c' });
  const name = `policy_${headers++}.h`;
  const path = join(dir, name);
  const text = generateC(program, { fileName: name });
  writeFileSync(path, text);
  return { path, actions: program.actionCount, text };
}

test('C float literals read back as the same float32', () => {
  for (const v of [0, -0, 1, -2.5, 0.1, 1 / 3, 1e-8, 3.4e38, 1.17549435e-38, 1.4e-45, 123456789, -7.5e-3]) {
    const literal = cFloat(v);
    assert.match(literal, /^-?\d+\.\d*(e[-+]\d+)?f$/, literal);
    assert.equal(Math.fround(Number(literal.slice(0, -1))), Math.fround(v), literal);
  }
});

for (const c of [...committedCases(), ...compressedCases()]) {
  test(`export c: ${c.name} compiled by gcc acts like onnxruntime-node`, async () => {
    const { path, actions, text } = writeHeader(c);
    // Nothing but math.h (and stdint.h for int8 weights); no allocation.
    assert.deepEqual(text.match(/#include <[^>]+>/g), ['#include <math.h>']);
    assert.doesNotMatch(text, /\b(malloc|calloc|free|printf)\s*\(/);
    await assertCompiledMatchesOrt(c, path, actions);
  });
}

test('export c --weights int8: int8_t arrays with scales, compiled, matches onnxruntime on the weights-only file', async () => {
  const c = compressedCases().find((k) => k.name.startsWith('Breakout'))!;
  const { path, actions, text } = writeHeader(c, 'int8');
  assert.match(text, /#include <stdint.h>/);
  assert.match(text, /static const int8_t qdistill_q\d+\[\d+\]/);
  await assertCompiledMatchesOrt(c, path, actions);
});

test('export c: a dueling CNN (NCHW, MatMul + Add, dueling head) compiled by gcc acts like onnxruntime-node', async () => {
  const c = await duelingCase();
  const { path, actions } = writeHeader(c);
  await assertCompiledMatchesOrt(c, path, actions);
});

test('qdistill export c writes a header that compiles and plays like onnxruntime; --help has an example', async () => {
  const out = join(dir, 'qdistill_policy.h');
  const r = runCli(['export', 'c', LUNAR_STUDENT, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.language, 'c');
  assert.equal(summary.actionCount, 4);
  const text = readFileSync(out, 'utf8');
  assert.match(text, /#ifndef QDISTILL_POLICY_H/);
  assert.match(text, /#define QDISTILL_OBS_SIZE 8\n#define QDISTILL_ACTION_COUNT 4/);
  assert.match(text, new RegExp(`sha256 ${summary.source.sha256}`));
  const c = committedCases().find((k) => k.name.startsWith('LunarLander'))!;
  await assertCompiledMatchesOrt(c, out, 4);
  const help = runCli(['export', 'c', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Example:\n {2}qdistill export c /);
  const missing = runCli(['export', 'c', join(dir, 'missing.onnx'), '--out', join(dir, 'x.h')]);
  assert.equal(missing.status, 2);
  assert.equal(ourLines(missing.stderr).length, 1);
});
