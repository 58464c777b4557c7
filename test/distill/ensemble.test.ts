// Several teachers → one student: the ensemble's labels against combinations computed by hand, and a real
// ensemble of two teachers (ours and a torch export) labelling, playing in turn and being distilled.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mixtureLogProbabilities, TeacherEnsemble } from '../../src/distill/ensemble.js';
import { openPolicy } from '../../src/infer/open.js';
import { qScale } from '../../src/policy/fidelity.js';
import { visitedStates } from '../../src/rollout/visited-states.js';
import { runCli } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-ensemble-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('labels: log of the mean of the members’ tempered softmaxes, by hand', () => {
  // Two members, one state, two actions. Member 1: Q (1, 0) at τ 1 → (e/(e+1), 1/(e+1)) = (0.7311, 0.2689).
  // Member 2: Q (0, 30) at τ 10 → softmax(0, 3) = (0.0474, 0.9526). Mean: (0.3892, 0.6108).
  const out = mixtureLogProbabilities([Float32Array.from([1, 0]), Float32Array.from([0, 30])], [1, 10], 1, 2);
  const p1 = Math.E / (Math.E + 1);
  const p2 = 1 / (1 + Math.exp(3));
  const mean = [(p1 + p2) / 2, (1 - p1 + 1 - p2) / 2];
  assert.ok(Math.abs(out[0] - Math.log(mean[0])) < 1e-6 && Math.abs(out[1] - Math.log(mean[1])) < 1e-6, `${out}`);
  // The mixture prefers action 1 though member 1's Q-values prefer action 0: each member counts by its
  // probabilities, not by the size of its Q-values.
  assert.ok(out[1] > out[0]);
  // Scaling a member's Q-values and its τ together changes nothing; an action ruled out stays finite.
  const scaled = mixtureLogProbabilities([Float32Array.from([100, 0]), Float32Array.from([0, 30])], [100, 10], 1, 2);
  assert.ok(Math.abs(scaled[0] - out[0]) < 1e-6);
  const sharp = mixtureLogProbabilities([Float32Array.from([1e4, 0]), Float32Array.from([1e4, 0])], [1, 1], 1, 2);
  assert.ok(Number.isFinite(sharp[1]) && sharp[1] < -20);
  // Two rows: each row mixes on its own.
  const rows = mixtureLogProbabilities([Float32Array.from([1, 0, 0, 1]), Float32Array.from([1, 0, 0, 1])], [1, 1], 2, 2);
  assert.ok(Math.abs(rows[0] - Math.log(p1)) < 1e-6 && Math.abs(rows[3] - Math.log(p1)) < 1e-6);
});

test('an ensemble of two real teachers: τ_k from each member’s own Q scale, members play in turn', async () => {
  const a = await openPolicy('models/cartpole-v1/teacher.onnx');
  const b = await openPolicy('models/pytorch/cartpole-v1-mlp.onnx', { env: 'CartPole-v1' });
  const ensemble = await TeacherEnsemble.of([a, b], ['a', 'b'], { temperature: 'auto', relativeTemperature: 0.1, states: 500, seed: 9 });
  const own = qScale((await visitedStates(a, 500, 9)).outputs, 2);
  assert.ok(Math.abs(ensemble.temperatures[0] - 0.1 * own) < 1e-9);
  assert.equal(ensemble.actorFor(0), a);
  assert.equal(ensemble.actorFor(1), b);
  assert.equal(ensemble.actorFor(2), a);
  // Its outputs on a state are the mixture of what onnxruntime gives for each member.
  const state = Float32Array.from([0.01, 0.2, -0.03, -0.1]);
  const expected = mixtureLogProbabilities([await a.qValues(state, 1), await b.qValues(state, 1)], ensemble.temperatures, 1, 2);
  assert.deepEqual(Array.from(await ensemble.qValues(state, 1)), Array.from(expected));
  await ensemble.dispose();
  // Members must play one environment (distill sends teachers of several to the multi-environment student instead).
  const c = await openPolicy('models/cartpole-v1/teacher.onnx');
  const d = await openPolicy('models/acrobot-v1/teacher.onnx');
  await assert.rejects(TeacherEnsemble.of([c, d], ['c.onnx', 'd.onnx'], { temperature: 'auto', relativeTemperature: 1, states: 10, seed: 1 }), /the teachers play different environments: c\.onnx plays CartPole-v1, d\.onnx plays Acrobot-v1/);
  await c.dispose();
  await d.dispose();
});

test('distill --teacher a --teacher b: one student of the ensemble, its card lists both members', () => {
  const out = join(dir, 'ens');
  const r = runCli(['distill', '--teacher', 'models/cartpole-v1/teacher.onnx', '--teacher', 'models/pytorch/cartpole-v1-mlp.onnx', '--env', 'CartPole-v1', '--student', '8', '--rounds', '2', '--steps-per-round', '500', '--gradient-steps', '100', '--eval-episodes', '10', '--final-episodes', '5', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
  assert.equal(card.teacher.ensemble.length, 2);
  assert.equal(card.config.temperature, 1);
  assert.ok(card.teacher.ensemble.every((m: { temperature: number }) => m.temperature > 0));
});
