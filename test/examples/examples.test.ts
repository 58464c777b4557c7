// The programs in examples/ as a user runs them: type-checked with strict tsc against the built declarations,
// then run as child processes (node --import tsx), importing 'qdistill' — which the repo resolves to its own
// dist/ through package.json "exports". dist/ is rebuilt first when a source is newer than its output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluate, openPolicy } from '../../src/index.js';
import { ensureBuilt } from '../support/build.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'qdistill-examples-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runExample(name: string, out: string): Run {
  mkdirSync(out, { recursive: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', `examples/${name}`, out], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  const run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  assert.equal(run.status, 0, `examples/${name} exited ${run.status} (${r.signal ?? 'no signal'}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

before(() => ensureBuilt());

test('the examples type-check with strict tsc (NodeNext) against the built declarations', () => {
  const r = spawnSync(TSC, ['-p', 'examples/tsconfig.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // The examples import nothing but 'qdistill' and node: modules.
  for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
    const imported = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    assert.ok(imported.includes('qdistill'), `${file} imports qdistill`);
    assert.deepEqual(imported.filter((m) => m !== 'qdistill' && !m.startsWith('node:')), [], file);
  }
});

test("train-distill-serve: trains, distills, compresses, serves, and the server's action for a CartPole state is 0 or 1", () => {
  const out = join(dir, 'pipeline');
  const { stdout } = runExample('train-distill-serve.ts', out);
  const action = stdout.match(/→ action (\S+)\n/)?.[1];
  assert.ok(action !== undefined && /^[01]$/.test(action), `printed action ${action}:\n${stdout}`);
  for (const file of ['teacher/teacher.onnx', 'teacher/card.json', 'student/student.onnx', 'compressed/policy.onnx', 'compressed/card.json']) {
    assert.ok(existsSync(join(out, file)), `${file} written`);
  }
  const card = JSON.parse(readFileSync(join(out, 'compressed/card.json'), 'utf8')) as { kind: string; candidates: unknown[] };
  assert.equal(card.kind, 'compressed');
  assert.ok(card.candidates.length >= 2, 'the recipe measured the starting point and at least one student');
});

test("compare-onnx-teacher: report.json holds the PyTorch teacher's return on the evaluation seeds", async () => {
  const out = join(dir, 'compare');
  const { stdout } = runExample('compare-onnx-teacher.ts', out);
  for (const file of ['report.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, file)), `${file} written`);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    env: string;
    models: { file: string; role: string; reward: { returns: number[]; mean: number } }[];
  };
  assert.equal(report.env, 'CartPole-v1');
  assert.deepEqual(report.models.map((m) => [m.file, m.role]), [
    ['models/pytorch/cartpole-v1-mlp.onnx', 'teacher'],
    ['models/cartpole-v1-student-16x16/student.onnx', 'student'],
  ]);
  // The same 5 episodes played here, from the sources, give the same returns.
  const teacher = await openPolicy(join(ROOT, 'models/pytorch/cartpole-v1-mlp.onnx'), { env: 'CartPole-v1' });
  const expected = await evaluate(teacher, { episodes: 5 });
  await teacher.dispose();
  assert.deepEqual(report.models[0].reward.returns, expected.returns);
  assert.match(stdout, new RegExp(`teacher pytorch/cartpole-v1-mlp\\.onnx: .*return ${expected.mean.toFixed(1)} `));
});

test("own-loop: a hand-written reset/step loop gets evaluate()'s returns episode by episode", async () => {
  const out = join(dir, 'own-loop');
  const { stdout } = runExample('own-loop.ts', out);
  assert.match(stdout, /^same returns$/m);
  const written = JSON.parse(readFileSync(join(out, 'own-loop.json'), 'utf8')) as { env: string; seed: number; own: number[]; evaluate: number[] };
  const policy = await openPolicy(join(ROOT, 'models/lunarlander-v3-student-64x64/student.onnx'));
  const expected = await evaluate(policy, { episodes: written.own.length, seed: written.seed });
  await policy.dispose();
  assert.equal(written.own.length, 3);
  assert.deepEqual(written.own, expected.returns);
  assert.deepEqual(written.evaluate, expected.returns);
  // LunarLander's returns differ from episode to episode, so a loop that seeded its episodes otherwise would show.
  assert.equal(new Set(expected.returns).size, expected.returns.length, `returns ${expected.returns}`);
});
