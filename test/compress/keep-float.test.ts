// `quantize --keep-float auto` on teachers with nearly tied Q-values (the PyTorch CartPole MLP committed in
// models/pytorch, Q-values near 100; the RL Zoo's own CartPole DQN imported from ../shared/fixtures): the
// agreement of the output with the float model, computed here with bare onnxruntime sessions on the states
// the search measured on, is at least the target; the layers the report keeps float are float MatMul/Gemm
// nodes of the output graph and the others are not; when no layer keeps the target, nothing is quantized and
// the command says so in one warning line with exit 0. Also --keep-float <names>, the input-layer rule and
// the flag checks.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CALIBRATION_SEED } from '../../src/compress/calibrate.js';
import { DEFAULT_CALIBRATION_STATES, DEFAULT_MIN_AGREEMENT } from '../../src/compress/calibration-defaults.js';
import type { LayerSearchReport } from '../../src/compress/index.js';
import { openPolicy } from '../../src/infer/open.js';
import { readModelFile, type ModelProto } from '../../src/onnx/model.js';
import { DataType } from '../../src/onnx/tensor.js';
import { visitedStates } from '../../src/rollout/visited-states.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { agreementOf, directOutputs } from '../support/direct-ort.js';
import { referenceCheck } from '../support/onnx-checker.js';

const TORCH_MLP = 'models/pytorch/cartpole-v1-mlp.onnx';
const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const ZOO_ZIP = '../shared/fixtures/sb3/dqn-CartPole-v1/CartPole-v1.zip';
const dir = mkdtempSync(join(tmpdir(), 'qdistill-keep-float-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const nameOf = (n: { name?: string; output: string[] }) => n.name || n.output[0];

/** Whether the graph computes layer `name` as a float MatMul/Gemm (its weight a float32 initializer). */
function floatLayer(model: ModelProto, name: string): boolean {
  const initializers = new Map(model.graph!.initializer.map((t) => [t.name, t]));
  return model.graph!.node.some((n) => nameOf(n) === name && ['MatMul', 'Gemm'].includes(n.opType ?? '') && initializers.get(n.input[1])?.dataType === DataType.FLOAT);
}

/** The states the search measured on: the float model playing ε-greedily from the calibration seed. */
async function searchStates(file: string, env: string, count: number): Promise<Float32Array> {
  const policy = await openPolicy(file, { env });
  try {
    return (await visitedStates(policy, count, CALIBRATION_SEED)).observations;
  } finally {
    await policy.dispose();
  }
}

interface Searched {
  search: LayerSearchReport;
  out: string;
  stderr: string;
}

function quantizeAuto(input: string, out: string, args: string[]): Searched {
  const r = runCli(['quantize', input, '--out', out, '--keep-float', 'auto', '--episodes', '0', '--json', ...args], 300_000);
  assert.equal(r.status, 0, r.stderr);
  return { search: JSON.parse(r.stdout).search, out, stderr: r.stderr };
}

/** The checks every searched output gets: checker, agreement ≥ target (computed here), report ↔ graph. */
async function checkSearched(input: string, env: string, { search, out }: Searched, dynamic: boolean): Promise<number> {
  assert.ok(referenceCheck(out).ok);
  const original = readModelFile(input);
  const output = readModelFile(out);
  // The report names every MatMul/Gemm of the input, in graph order, once.
  const layers = original.graph!.node.filter((n) => ['MatMul', 'Gemm'].includes(n.opType ?? '')).map(nameOf);
  assert.deepEqual(search.layers.map((l) => l.name), layers);
  assert.deepEqual([...search.keptFloat, ...search.quantized].sort(), [...layers].sort());
  for (const name of search.keptFloat) assert.ok(floatLayer(output, name), `${name} is reported float32 but is not a float MatMul/Gemm of the output`);
  for (const name of search.quantized) assert.ok(!floatLayer(output, name), `${name} is reported int8 but is still float`);
  // Agreement with the float model on the search's own states, by bare onnxruntime sessions.
  assert.equal(search.states, DEFAULT_CALIBRATION_STATES);
  const states = await searchStates(input, env, search.states);
  const size = states.length / search.states;
  const reference = await directOutputs(input, states, search.states, { size });
  const int8 = await directOutputs(out, states, search.states, { size, oneByOne: dynamic });
  const agreement = agreementOf(reference, int8, reference.length / search.states);
  assert.ok(agreement >= search.target, `agreement ${agreement} < target ${search.target}`);
  assert.ok(Math.abs(agreement - search.agreement) <= 1e-9, `computed ${agreement}, reported ${search.agreement}`);
  return agreement;
}

test('weights-only --keep-float auto on the PyTorch CartPole MLP (tied Q-values): agreement ≥ target on the search states, kept layers are float Gemms', async (t) => {
  const searched = quantizeAuto(TORCH_MLP, join(dir, 'torch-w8-auto.onnx'), ['--weights-only', '--env', 'CartPole-v1', '--min-agreement', '0.85']);
  const { search } = searched;
  t.diagnostic(search.layers.map((l) => `${l.name}: ${l.why}`).join('; '));
  assert.equal(search.target, 0.85);
  // Measured: the first Gemm alone keeps ~91%, the others under 80%: a partial plan, so the test checks both kinds.
  assert.ok(search.quantized.length > 0 && search.keptFloat.length > 0, JSON.stringify(search));
  assert.equal(search.warning, null);
  // weights-only has no input-layer rule: every layer was tried alone, both ways.
  for (const l of search.layers) assert.ok(l.alone && l.alone.perTensor.agreement >= 0 && l.alone.perChannel.agreement >= 0, l.name);
  await checkSearched(TORCH_MLP, 'CartPole-v1', searched, false);
});

test('dynamic --keep-float auto at the default target on the PyTorch MLP: nothing quantized, one warning line, exit 0, a float file', async () => {
  const out = join(dir, 'torch-dyn-auto.onnx');
  const searched = quantizeAuto(TORCH_MLP, out, ['--mode', 'dynamic', '--env', 'CartPole-v1']);
  const { search, stderr } = searched;
  assert.equal(search.target, DEFAULT_MIN_AGREEMENT);
  assert.deepEqual(search.quantized, []);
  const warnings = ourLines(stderr);
  assert.equal(warnings.length, 1, stderr);
  assert.match(warnings[0], /^qdistill: warning: nothing quantized: no layer keeps 99\.0% action agreement with the float model on 1000 states as int8 \(the best, .* keeps \d+\.\d%\); the output is the float32 model/);
  // The input layer is kept by the default rule, not tried; the others were tried and failed alone.
  const [first, ...rest] = search.layers;
  assert.equal(first.alone, null);
  assert.match(first.why, /reads the observation/);
  for (const l of rest) assert.match(l.why, /^alone it keeps \d+\.\d% agreement, below the 99\.0% target$/);
  const ops = readModelFile(out).graph!.node.map((n) => n.opType);
  assert.ok(!ops.includes('MatMulInteger') && !ops.includes('DynamicQuantizeLinear'), ops.join());
  await checkSearched(TORCH_MLP, 'CartPole-v1', searched, true);
});

test('dynamic --keep-float auto on a CartPole student quantizes the hidden layers at ≥ 99% and keeps the input layer; --quantize-input-layer lets the search try it', async () => {
  const searched = quantizeAuto(STUDENT, join(dir, 'student-dyn-auto.onnx'), ['--mode', 'dynamic']);
  assert.ok(searched.search.quantized.length >= 1, JSON.stringify(searched.search));
  assert.equal(searched.search.layers[0].alone, null);
  assert.deepEqual(searched.search.keptFloat.slice(0, 1), [searched.search.layers[0].name]);
  await checkSearched(STUDENT, 'CartPole-v1', searched, true);
  const withInput = quantizeAuto(STUDENT, join(dir, 'student-dyn-auto-input.onnx'), ['--mode', 'dynamic', '--quantize-input-layer']);
  assert.ok(withInput.search.layers[0].alone, 'the input layer was tried');
  await checkSearched(STUDENT, 'CartPole-v1', withInput, true);
});

test('the RL Zoo CartPole DQN (imported): static and weights-only --keep-float auto keep the target; at 99% nothing survives int8', async (t) => {
  if (!existsSync(ZOO_ZIP)) {
    t.skip(`the RL Zoo fixture ${ZOO_ZIP} is absent (it lives in ../shared/fixtures/sb3/, outside the repository)`);
    return;
  }
  const teacher = join(dir, 'zoo-teacher.onnx');
  const imported = runCli(['import', ZOO_ZIP, '--out', teacher]);
  assert.equal(imported.status, 0, imported.stderr);
  const weights = quantizeAuto(teacher, join(dir, 'zoo-w8-auto.onnx'), ['--weights-only', '--min-agreement', '0.9']);
  t.diagnostic(`weights-only at 90%: ${weights.search.layers.map((l) => `${l.name} ${l.quantized ? 'int8' : 'float'}`).join(', ')}`);
  assert.ok(weights.search.quantized.length > 0, JSON.stringify(weights.search));
  await checkSearched(teacher, 'CartPole-v1', weights, false);
  const strict = quantizeAuto(teacher, join(dir, 'zoo-static-auto.onnx'), ['--mode', 'static', '--method', 'entropy']);
  assert.deepEqual(strict.search.quantized, []);
  assert.equal(ourLines(strict.stderr).length, 1);
  await checkSearched(teacher, 'CartPole-v1', strict, false);
});

test('--keep-float <names> keeps those layers float; an unknown name, --per-channel with auto and --min-agreement without it are one-line errors', () => {
  const model = readModelFile(STUDENT);
  const gemms = model.graph!.node.filter((n) => n.opType === 'Gemm').map(nameOf);
  const out = join(dir, 'student-named.onnx');
  const r = runCli(['quantize', STUDENT, '--mode', 'dynamic', '--keep-float', gemms[2], '--out', out, '--episodes', '0']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Gemm '${gemms[2]}' kept float32 \\(--keep-float\\)`));
  const output = readModelFile(out);
  assert.ok(floatLayer(output, gemms[0]), 'the input layer stays float (default rule)');
  assert.ok(!floatLayer(output, gemms[1]), 'the middle layer is int8');
  assert.ok(floatLayer(output, gemms[2]), 'the named layer stays float');
  for (const [args, message] of [
    [['--mode', 'dynamic', '--keep-float', 'nope'], new RegExp(`^qdistill: --keep-float: no MatMul, Gemm or Conv layer named 'nope' \\(the layers: ${gemms.join(', ')}\\)`)],
    [['--mode', 'dynamic', '--keep-float', 'auto', '--per-channel'], /^qdistill: --per-channel and --keep-float auto are alternatives/],
    [['--mode', 'dynamic', '--min-agreement', '0.9'], /^qdistill: --min-agreement applies to --keep-float auto only/],
    [['--mode', 'dynamic', '--keep-float', 'auto', '--min-agreement', '1.5'], /^qdistill: .*--min-agreement/],
  ] as const) {
    const e = runCli(['quantize', STUDENT, ...args, '--out', join(dir, 'refused.onnx')]);
    assert.equal(e.status, 2, `${args.join(' ')}: ${e.stderr}`);
    assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
    assert.match(e.stderr.trim(), message);
  }
});
