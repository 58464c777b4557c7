// The C header at plain gcc -O2 (no -march, no -ffast-math): gcc's vectorizer reports the dense dot products'
// lane loops and the int8 sums vectorized, the header still acts like onnxruntime, and its fixed summation
// order gives the same bits at -O0, -O2 and -O3 -march=native.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateC } from '../../src/codegen/c.js';
import { programFromBytes } from '../../src/codegen/program.js';
import { quantize } from '../../src/compress/api.js';
import { compileWith, runCompiled } from '../support/c-harness.js';
import { agreement, CARTPOLE_TEACHER, committedCases, ortReference, visitedStates } from './cases.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-codegen-c-o2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const gccMajor = Number(/(\d+)\.\d+\.\d+/.exec(spawnSync('gcc', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 0);
// gcc vectorizes at -O2 (with its very cheap cost model) from version 12 on.
const skip = gccMajor < 12 ? `gcc ${gccMajor} does not vectorize at -O2` : false;

/** Header lines (1-based) whose text matches `pattern`. */
function linesMatching(text: string, pattern: RegExp): number[] {
  return text.split('\n').flatMap((line, i) => (pattern.test(line) ? [i + 1] : []));
}

/** Header lines gcc reported as vectorized loops. */
function vectorizedLines(stderr: string, header: string): Set<number> {
  const name = header.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new Set([...stderr.matchAll(new RegExp(`${name}:(\\d+):\\d+: optimized: loop vectorized`, 'g'))].map((m) => Number(m[1])));
}

function writeHeader(name: string, bytes: Uint8Array): { path: string; text: string } {
  const program = programFromBytes(bytes, name, { target: 'export c' });
  const path = join(dir, `${name}.h`);
  const text = generateC(program, { fileName: `${name}.h` });
  writeFileSync(path, text);
  return { path, text };
}

test('export c, 256-256 CartPole teacher at gcc -O2: every dense lane loop vectorized, outputs like onnxruntime, the same bits at -O0 and -O3 -march=native', { skip }, async (t) => {
  const c = committedCases().find((k) => k.name === 'CartPole teacher')!;
  const { path, text } = writeHeader('teacher', c.bytes);
  assert.match(text, /Summation order \(deterministic\): a dense float layer sums row r in 8 lanes/);
  const laneLoops = linesMatching(text, /for \(int c = 0; c < \d+; c \+= 8\) \{/);
  assert.ok(laneLoops.length >= 2, `the 256-wide layers have lane loops (${laneLoops.length})`);
  const { exe, stderr } = compileWith(path, ['-fopt-info-vec-optimized']);
  const vectorized = vectorizedLines(stderr, path);
  for (const line of laneLoops) assert.ok(vectorized.has(line), `gcc -O2 did not vectorize the lane loop at line ${line}: ${text.split('\n')[line - 1].trim()}`);

  const count = 10_000;
  const states = await visitedStates(c.envId, count);
  const o2 = runCompiled(exe, states, count, 2);
  const result = agreement(await ortReference(c, states, count), o2.q, 2, o2.act);
  assert.equal(result.outOfTolerance, 0, `max error ${result.maxError}`);
  assert.equal(result.realMismatches, 0);
  assert.ok(result.tieMismatches <= count / 1000);
  t.diagnostic(`teacher at -O2: max |Δq| ${result.maxError} from onnxruntime, ${result.tieMismatches} tie mismatches; vectorized lane loops at lines ${laneLoops.join(', ')}`);
  for (const flags of [['-O0'], ['-O3', '-march=native']]) {
    const other = runCompiled(compileWith(path, flags).exe, states, count, 2);
    assert.deepEqual(new Uint8Array(other.q.buffer), new Uint8Array(o2.q.buffer), `${flags.join(' ')} gives other bits than -O2`);
  }
});

test('export c, int8 teacher (QOperator) at gcc -O2: the int32 sums of the integer layers are vectorized', { skip }, async () => {
  const out = join(dir, 'teacher-int8.onnx');
  await quantize(CARTPOLE_TEACHER, { out, mode: 'static', format: 'qoperator', episodes: 0, calibrationStates: 300 });
  const { path, text } = writeHeader('teacher_int8', new Uint8Array(readFileSync(out)));
  const sums = linesMatching(text, /for \(int c = 0; c < 256; c\+\+\) acc \+= /);
  assert.equal(sums.length, 2, 'two 256-wide integer layers');
  const vectorized = vectorizedLines(compileWith(path, ['-fopt-info-vec-optimized']).stderr, path);
  for (const line of sums) assert.ok(vectorized.has(line), `gcc -O2 did not vectorize the int8 sum at line ${line}`);
});
