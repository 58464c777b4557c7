// Every pass command on the two kinds of user export it must accept: a real torch `model.half()` export
// (float16 input, output, weights and arithmetic; test/support/export_half_policies.py) with --allow-fp16,
// and a file with two outputs (probabilities first, the Q-values second) with --output. Outputs pass the
// reference checker; float results stay close to torch's Q-values; for int8 the agreement a pass reports is
// the one a bare onnxruntime session computes against the user's own file. Without --allow-fp16 a float16
// file is the one-line error, with or without an environment.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fp16, optimize, prunePolicy, quantize, type CheckedPassResult, type PassFileOptions } from '../../src/compress/index.js';
import { openPolicy } from '../../src/infer/open.js';
import { readModelFile } from '../../src/onnx/model.js';
import { DataType } from '../../src/onnx/tensor.js';
import { runRecipe } from '../../src/pipelines/compress-recipe.js';
import { evaluatePolicy } from '../../src/rollout/evaluate.js';
import { DEFAULT_EVAL_SEED } from '../../src/rollout/seeds.js';
import { visitedStates } from '../../src/rollout/visited-states.js';
import { UsageError } from '../../src/util/errors.js';
import { runCli } from '../cli/run-cli.js';
import { agreementOf, directOutputs, maxAbsDifference } from '../support/direct-ort.js';
import { readFloat32 } from '../support/float32-file.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { torchFixtures, worstRelative } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_half_policies.py', import.meta.url));
const ENV = 'CartPole-v1';
/** The states and seed compareOnEnvStates measures on (src/compress/compare.ts). */
const COMPARE_STATES = 1000;
const COMPARE_SEED = 31337;
let dir = '';
const file = (name: string) => join(dir, name);

before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-half-');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Q-values of a file on the torch states, through qdistill's ort-cpu runtime. */
async function qValuesOf(path: string, output?: string): Promise<Float32Array> {
  const policy = await openPolicy(path, { env: ENV, output });
  try {
    const states = readFloat32(file('states.f32'));
    return await policy.qValues(states, states.length / 4);
  } finally {
    await policy.dispose();
  }
}

/** The states compareOnEnvStates uses: the original file playing ε-greedily from the compare seed. */
async function compareStates(original: string, read: { allowFp16?: boolean; output?: string }): Promise<Float32Array> {
  const policy = await openPolicy(original, { env: ENV, ...read });
  try {
    return (await visitedStates(policy, COMPARE_STATES, COMPARE_SEED)).observations;
  } finally {
    await policy.dispose();
  }
}

function boundaryTypes(path: string): { input: number | undefined; outputs: (number | undefined)[] } {
  const graph = readModelFile(path).graph!;
  return { input: graph.input[0].type?.tensorType?.elemType, outputs: graph.output.map((o) => o.type?.tensorType?.elemType) };
}

type Run = (input: string, o: PassFileOptions) => Promise<CheckedPassResult>;
const PASSES: { name: string; run: Run; int8?: 'dynamic' | 'static' | 'weights-only'; sameFunction?: boolean }[] = [
  { name: 'optimize', run: optimize, sameFunction: true },
  { name: 'fp16', run: fp16, sameFunction: true },
  { name: 'prune', run: (input, o) => prunePolicy(input, { ...o, sparsity: 0.25, structured: true }) },
  { name: 'quantize dynamic', run: (input, o) => quantize(input, { ...o, mode: 'dynamic' }), int8: 'dynamic' },
  { name: 'quantize static', run: (input, o) => quantize(input, { ...o, mode: 'static', method: 'entropy', perChannel: true }), int8: 'static' },
  { name: 'quantize weights-only', run: (input, o) => quantize(input, { ...o, mode: 'weights-only' }), int8: 'weights-only' },
];

const CLI_PASSES = [['optimize'], ['fp16'], ['prune', '--sparsity', '0.25', '--structured'], ['quantize', '--mode', 'dynamic'], ['quantize', '--mode', 'static'], ['quantize', '--weights-only']];

test('without --allow-fp16 every pass command refuses the float16 file in one line, with no --env and no metadata, and writes nothing', () => {
  for (const args of CLI_PASSES) {
    const out = file(`refused-${args.join('-')}.onnx`);
    const r = runCli([args[0], file('half.onnx'), ...args.slice(1), '--out', out]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^qdistill: input 'obs' is float16; pass --allow-fp16 to run it with float32 casts at its boundary, or export the model with a float32 input \(model\.float\(\)\) \(.*half\.onnx\)$/);
    assert.ok(!existsSync(out), `${args.join(' ')} wrote ${out}`);
  }
  // With an environment the check is describePolicyFile's own, and says the same.
  const r = runCli(['quantize', file('half.onnx'), '--weights-only', '--env', ENV, '--out', file('refused-env.onnx')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr.trim(), /^qdistill: input 'obs' is float16; pass --allow-fp16/);
});

test('with --allow-fp16 a pass that needs no environment accepts the float16 file and says it was widened', () => {
  const out = file('cli-fp16.onnx');
  const r = runCli(['fp16', file('half.onnx'), '--allow-fp16', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^the float16 file was widened to float32 \(weights, constants, casts and boundary\) before fp16; the output takes and gives float32; fp16 then stored its weights as float16 again/m);
  assert.ok(referenceCheck(out).ok);
  assert.deepEqual(boundaryTypes(out), { input: DataType.FLOAT, outputs: [DataType.FLOAT] });
});

for (const pass of PASSES) {
  test(`${pass.name} of a torch .half() export (--allow-fp16): checker, float32 boundary, checks against the float16 file itself`, async (t) => {
    const input = file('half.onnx');
    const out = file(`half.${pass.name.replace(/ /g, '-')}.onnx`);
    const r = await pass.run(input, { out, env: ENV, allowFp16: true, episodes: 3 });
    const check = referenceCheck(out);
    assert.ok(check.ok, check.message);
    assert.deepEqual(boundaryTypes(out), { input: DataType.FLOAT, outputs: [DataType.FLOAT] });
    assert.equal(r.inputNotes.length, 1);
    assert.match(r.inputNotes[0], /^the float16 file was widened to float32 .*; the output takes and gives float32/);
    assert.ok(r.comparison, 'the env is known, so the outputs were compared');
    const initializerTypes = new Set(readModelFile(out).graph!.initializer.map((x) => x.dataType));
    if (pass.name === 'fp16') assert.ok(initializerTypes.has(DataType.FLOAT16) && !initializerTypes.has(DataType.FLOAT), [...initializerTypes].join());
    if (pass.name === 'prune') assert.ok(r.report.changes.length > 0);
    if (pass.sameFunction) {
      // The same function in float32 arithmetic: within float16 rounding of torch's float16 network.
      const error = worstRelative(await qValuesOf(out), readFloat32(file('half.q.f32')));
      t.diagnostic(`worst relative difference from torch's float16 Q-values: ${error.toExponential(2)}`);
      assert.ok(error <= 1e-2, `${error}`);
    }
    if (pass.int8) {
      // The reported agreement is against the float16 file itself, on the states it visits.
      const states = await compareStates(input, { allowFp16: true });
      const reference = await directOutputs(input, states, COMPARE_STATES, { size: 4, float16: true });
      const int8 = await directOutputs(out, states, COMPARE_STATES, { size: 4, oneByOne: pass.int8 === 'dynamic' });
      const agreement = agreementOf(reference, int8, 2);
      t.diagnostic(`agreement reported ${r.comparison.agreement}, computed ${agreement}`);
      assert.equal(r.comparison.agreement, agreement);
    }
    // The reward check played the user's float16 file, as eval --allow-fp16 does.
    const policy = await openPolicy(input, { env: ENV, allowFp16: true });
    const played = await evaluatePolicy(ENV, (o) => policy.act(o), { episodes: 3, seed: DEFAULT_EVAL_SEED });
    await policy.dispose();
    assert.equal(r.reward?.before.mean, played.mean);
  });
}

for (const pass of PASSES) {
  test(`${pass.name} of a file with two outputs (--output values): both outputs kept, the Q-values compared`, async (t) => {
    const input = file('two-outputs.onnx');
    const out = file(`two.${pass.name.replace(/ /g, '-')}.onnx`);
    const r = await pass.run(input, { out, env: ENV, output: 'values', episodes: 0 });
    const check = referenceCheck(out);
    assert.ok(check.ok, check.message);
    assert.deepEqual(readModelFile(out).graph!.output.map((o) => o.name), ['probs', 'values']);
    assert.deepEqual(r.inputNotes, []);
    if (pass.sameFunction) {
      const error = worstRelative(await qValuesOf(out, 'values'), readFloat32(file('two-outputs.q.f32')));
      assert.ok(error <= (pass.name === 'fp16' ? 1e-2 : 1e-5), `${error}`);
    }
    if (pass.int8) {
      const states = await compareStates(input, { output: 'values' });
      const reference = await directOutputs(input, states, COMPARE_STATES, { size: 4, output: 'values' });
      const int8 = await directOutputs(out, states, COMPARE_STATES, { size: 4, output: 'values', oneByOne: pass.int8 === 'dynamic' });
      t.diagnostic(`agreement reported ${r.comparison!.agreement}, computed ${agreementOf(reference, int8, 2)}`);
      assert.equal(r.comparison!.agreement, agreementOf(reference, int8, 2));
      // The error is the Q-values' (the probabilities' would differ).
      assert.ok(Math.abs(r.comparison!.maxAbsError - maxAbsDifference(reference, int8)) <= 1e-6, `${r.comparison!.maxAbsError} vs ${maxAbsDifference(reference, int8)}`);
    }
  });
}

test('--output naming no output of the file is one line, exit 2, for a pass with and without --env', () => {
  for (const extra of [[], ['--env', ENV]]) {
    const r = runCli(['optimize', file('two-outputs.onnx'), '--output', 'nope', ...extra, '--out', file('nope.onnx')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), /^qdistill: --output 'nope' is not an output of the model \(outputs: probs, values\) \(.*two-outputs\.onnx\)$/);
  }
});

test('fp16 of a float16 file: float16 weights again, float32 boundary, 100% agreement with the float16 file', async () => {
  const r = await fp16(file('half.onnx'), { out: file('half.fp16-again.onnx'), env: ENV, allowFp16: true, episodes: 0 });
  assert.equal(r.comparison!.agreement, 1);
  assert.match(r.inputNotes[0], /fp16 then stored its weights as float16 again \(float32 input, output and arithmetic\)/);
});

test('compress takes a float16 teacher (allowFp16) and a two-output teacher (output): measured and distilled from as they are', async () => {
  await assert.rejects(
    () => runRecipe(file('half.onnx'), { env: ENV, keep: 0.9, out: file('recipe-refused'), episodes: 3, sizes: [], seed: 1, latencySeconds: 0.05, closeSize: 1.1, studentsToCompress: 0, distill: {}, log: () => {} }),
    (e: unknown) => e instanceof UsageError && /^input 'obs' is float16; pass --allow-fp16/.test(e.message),
  );
  for (const [name, read] of [['half.onnx', { allowFp16: true }], ['two-outputs.onnx', { output: 'values' }]] as const) {
    const out = file(`recipe-${name}`);
    const result = await runRecipe(file(name), {
      env: ENV, ...read, keep: 0.5, out, episodes: 3, sizes: [{ hidden: [8], width: 1 }], seed: 1, latencySeconds: 0.05, closeSize: 1.1, studentsToCompress: 0, distill: { rounds: 1 }, log: () => {},
    });
    // The teacher's return is the user's file's own, on the shared seeds.
    const policy = await openPolicy(file(name), { env: ENV, ...read });
    const played = await evaluatePolicy(ENV, (o) => policy.act(o), { episodes: 3, seed: DEFAULT_EVAL_SEED });
    await policy.dispose();
    assert.equal(result.teacher.reward.mean, played.mean);
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
    assert.deepEqual({ file: card.teacher.file, ...read }, { ...read, file: file(name) });
    // The student was distilled from the file itself (its card names the teacher's hash) and plays the env.
    const student = result.candidates.find((c) => c.name === 'student 8');
    assert.ok(student && student.agreementWithParent !== null, JSON.stringify(result.candidates.map((c) => c.name)));
    const studentCard = JSON.parse(readFileSync(join(out, 'students', '8', 'card.json'), 'utf8'));
    assert.equal(studentCard.teacher.file, file(name));
    assert.equal(studentCard.teacher.hash, String(card.teacher.hash).slice(0, studentCard.teacher.hash.length));
    assert.ok(referenceCheck(student.file).ok);
  }
});
