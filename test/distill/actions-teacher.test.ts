// `distill` with a teacher file that gives actions only (qdistill's CartPole teacher exported by torch with an
// action table looked up after its ArgMax, test/support/export_action_policies.py): the teacher labels the
// states with its actions (here DAgger-style: the student plays after the first round) and the student learns
// them by behaviour cloning (cross-entropy), said in one line and on the card.
// Its agreement with the teacher is measured here on held-out states, both files run by onnxruntime itself.
// Also: --output and --allow-fp16 reach distill and record, and teacherParameters is counted from the graph
// of a teacher without a card.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { makeEnv } from '../../src/envs/registry.js';
import { deriveSeed, Rng } from '../../src/envs/rng.js';
import { argmax } from '../../src/policy/agreement.js';
import { readDataset } from '../../src/policy/dataset.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { torchFixtures } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_action_policies.py', import.meta.url));
let dir = '';

before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-actions-teacher-');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TINY = ['--rounds', '1', '--steps-per-round', '300', '--gradient-steps', '20', '--eval-episodes', '1', '--no-early-stop', '--final-episodes', '2'];
// The CartPole teacher's parameters (4·256 + 256 + 256·256 + 256 + 256·2 + 2); its int64 action table and
// Gather indices are not weights.
const TEACHER_PARAMETERS = 67_586;

function oneLineError(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, r.stderr);
  const lines = ourLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

/**
 * Share of `count` held-out states where the student's greedy action is the teacher's: the teacher file run by
 * onnxruntime (its int64 actions) plays CartPole ε-greedily (ε = 0.1) from seeds no distillation run uses.
 */
async function heldOutAgreement(teacherFile: string, studentFile: string, count: number): Promise<number> {
  const teacher = await ort.InferenceSession.create(teacherFile);
  const student = await ort.InferenceSession.create(studentFile);
  const env = makeEnv('CartPole-v1');
  const rng = new Rng(4242);
  let same = 0;
  let episode = 0;
  let observation = env.reset(deriveSeed(987_654, episode++));
  for (let i = 0; i < count; i++) {
    const taught = Number(((await teacher.run({ [teacher.inputNames[0]]: new ort.Tensor('float32', observation, [1, 4]) }))[teacher.outputNames[0]].data as BigInt64Array)[0]);
    const logits = (await student.run({ [student.inputNames[0]]: new ort.Tensor('float32', observation, [1, 4]) }))[student.outputNames[0]].data as Float32Array;
    if (argmax(logits) === taught) same++;
    const step = env.step(rng.random() < 0.1 ? rng.int(2) : taught);
    observation = step.terminated || step.truncated ? env.reset(deriveSeed(987_654, episode++)) : step.observation;
  }
  await teacher.release();
  await student.release();
  return same / count;
}

test('distill on an actions-only teacher: behaviour cloning on its actions, high held-out agreement with the teacher run by onnxruntime', async (t) => {
  const out = join(dir, 'bc');
  const teacher = join(dir, 'table.onnx');
  const r = runCli(['distill', teacher, '--env', 'CartPole-v1', '--student', '32,32', '--collect', 'student', '--rounds', '10', '--no-early-stop', '--eval-episodes', '10', '--final-episodes', '20', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.loss, 'nll');
  assert.equal(summary.method, 'behaviour cloning (the teacher gives actions only)');
  assert.equal(summary.teacherParameters, TEACHER_PARAMETERS);
  assert.equal(summary.reward.mean, 500);
  const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
  assert.equal(card.method, 'behaviour cloning (the teacher gives actions only)');
  assert.equal(card.config.loss, 'nll');
  assert.equal(readDataset(join(out, 'dataset.qdb')).header.targets, 'actions');
  const agreement = await heldOutAgreement(teacher, join(out, 'student.onnx'), 2000);
  t.diagnostic(`held-out agreement with the teacher (onnxruntime, 2000 states): ${agreement}; the stage's own: ${summary.agreement}`);
  assert.ok(agreement >= 0.9, `held-out agreement ${agreement} (the stage measured ${summary.agreement})`);
  assert.ok(summary.agreement >= 0.9, `the stage's held-out agreement ${summary.agreement}`);
});

test('distill says in one line that it clones the actions; a loss that needs Q-values is a one-line refusal', () => {
  const r = runCli(['distill', join(dir, 'greater.onnx'), '--env', 'CartPole-v1', '--student', '8', ...TINY, '--out', join(dir, 'bc-line')]);
  assert.equal(r.status, 0, r.stderr);
  const said = r.stderr.split('\n').filter((line) => /behaviour cloning/.test(line));
  assert.deepEqual(said, [`distilling by behaviour cloning (cross-entropy on the teacher's actions): ${join(dir, 'greater.onnx')} gives actions only (output 'actions', no Q-values)`]);
  assert.match(r.stdout, /\bnll\b/);
  for (const loss of ['kl', 'mse', 'dqn+kl']) {
    oneLineError(['distill', join(dir, 'float64.onnx'), '--env', 'CartPole-v1', '--student', '8', '--loss', loss, '--out', join(dir, 'x')], new RegExp(`^qdistill: --loss ${loss.replace('+', '\\+')} needs the teacher's Q-values, but .* gives actions only .*pass --loss nll\\) to distil it by behaviour cloning`));
  }
});

test('--allow-fp16 and --output reach distill and record; a teacher without a card has its parameters counted from its graph', () => {
  const half = join(dir, 'half.onnx');
  oneLineError(['distill', half, '--env', 'CartPole-v1', '--student', '8', ...TINY, '--out', join(dir, 'x')], /^qdistill: input 'obs' is float16; pass --allow-fp16/);
  const fromHalf = runCli(['distill', half, '--env', 'CartPole-v1', '--allow-fp16', '--student', '8', ...TINY, '--out', join(dir, 'from-half'), '--json']);
  assert.equal(fromHalf.status, 0, fromHalf.stderr);
  const halfSummary = JSON.parse(fromHalf.stdout);
  assert.equal(halfSummary.teacherParameters, 4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
  assert.equal(halfSummary.method, 'distillation');
  assert.equal(halfSummary.loss, 'kl');
  const recorded = runCli(['record', half, '--env', 'CartPole-v1', '--allow-fp16', '--episodes', '1', '--out', join(dir, 'half.qdb'), '--json']);
  assert.equal(recorded.status, 0, recorded.stderr);

  const two = join(dir, 'two-heads.onnx');
  oneLineError(['distill', two, '--env', 'CartPole-v1', '--output', 'nope', '--student', '8', ...TINY, '--out', join(dir, 'x')], /^qdistill: --output 'nope' is not an output of the model \(outputs: probs, values\)/);
  oneLineError(['record', two, '--env', 'CartPole-v1', '--output', 'nope', '--episodes', '1', '--out', join(dir, 'x.qdb')], /^qdistill: --output 'nope' is not an output of the model/);
  const fromValues = runCli(['distill', two, '--env', 'CartPole-v1', '--output', 'values', '--student', '8', ...TINY, '--out', join(dir, 'from-values'), '--json']);
  assert.equal(fromValues.status, 0, fromValues.stderr);
  assert.equal(JSON.parse(fromValues.stdout).teacherParameters, TEACHER_PARAMETERS);
  const recordedValues = runCli(['record', two, '--env', 'CartPole-v1', '--output', 'values', '--episodes', '1', '--out', join(dir, 'values.qdb'), '--json']);
  assert.equal(recordedValues.status, 0, recordedValues.stderr);
  assert.equal(JSON.parse(recordedValues.stdout).mean, 500);
});

test("our own teacher's parameters still come from its card", () => {
  const r = runCli(['distill', 'models/cartpole-v1/teacher.onnx', '--student', '8', ...TINY, '--out', join(dir, 'ours'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.teacherParameters, JSON.parse(readFileSync('models/cartpole-v1/card.json', 'utf8')).parameters);
  assert.equal(summary.method, 'distillation');
});
