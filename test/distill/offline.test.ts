// Offline distillation (`distill --observations`) and numpy-readable outputs, through the real CLI: states
// played by the committed CartPole teacher in the TypeScript env and saved by numpy are distilled with no
// environment, and the student follows the teacher on held-out states as well as one distilled the usual way
// (collecting in the env) — both measured here, on the same held-out states, by onnxruntime on their files.
// `record --out x.npz` and `--dataset-format npz` are read by numpy.load and back by us.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { heldOutSplit, readOfflineObservations } from '../../src/distill/distill.js';
import { CartPoleEnv } from '../../src/envs/cartpole.js';
import { deriveSeed, Rng } from '../../src/envs/rng.js';
import { envSpec } from '../../src/envs/registry.js';
import { openPolicy } from '../../src/infer/open.js';
import { argmax } from '../../src/policy/agreement.js';
import { readDataset } from '../../src/policy/dataset.js';
import { fidelity, type Fidelity } from '../../src/policy/fidelity.js';
import { UsageError } from '../../src/util/errors.js';
import { writeNpz } from '../../src/util/npy.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { PYTHON, runPython } from '../support/python.js';

const TEACHER = 'models/cartpole-v1/teacher.onnx';
const dir = mkdtempSync(join(tmpdir(), 'qdistill-offline-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const python = (script: string): string => runPython(script, dir);

/** `count` states of the teacher playing CartPole ε-greedily (ε = 0.2, so that the states are not one narrow path), from seeds of its own. */
async function teacherStates(count: number): Promise<Float32Array> {
  const teacher = await openPolicy(TEACHER);
  const env = new CartPoleEnv();
  const rng = new Rng(2024);
  const states = new Float32Array(count * 4);
  let observation = env.reset(deriveSeed(9001, 0));
  for (let i = 0, episode = 1; i < count; i++) {
    states.set(observation, i * 4);
    const action = rng.random() < 0.2 ? rng.int(2) : await teacher.act(observation);
    const r = env.step(action);
    observation = r.terminated || r.truncated ? env.reset(deriveSeed(9001, episode++)) : r.observation;
  }
  await teacher.dispose();
  return states;
}

/** Fidelity of the student file to the teacher on `states`, both run by onnxruntime (not by the trainer's tfjs). */
async function measured(studentFile: string, states: Float32Array): Promise<Fidelity> {
  const count = states.length / 4;
  const teacher = await openPolicy(TEACHER);
  const student = await openPolicy(studentFile);
  const f = fidelity(await student.qValues(states, count), await teacher.qValues(states, count), 2);
  await teacher.dispose();
  await student.dispose();
  return f;
}

const STATES = 6000;
const BUDGET = ['--student', '16,16', '--rounds', '6', '--gradient-steps', '500', '--batch-size', '64', '--seed', '3'];

test('distill --observations on a .npy written by numpy reproduces the teacher on held-out states as well as env-collected labels do', async () => {
  const states = await teacherStates(STATES);
  writeFileSync(join(dir, 'states.f32'), states);
  python("import numpy as np; np.save('states.npy', np.fromfile('states.f32', dtype='<f4').reshape(-1, 4))");

  // Offline: no environment; the table says so and gives the held-out figures.
  const offlineOut = join(dir, 'offline');
  const offline = runCli(['distill', TEACHER, '--observations', join(dir, 'states.npy'), ...BUDGET, '--dataset-format', 'npz', '--out', offlineOut], 180_000);
  assert.equal(offline.status, 0, offline.stderr);
  assert.match(offline.stdout, /16-16 .* observations +not measured +- +\d+\.\d% +\d+\.\d% +\d+\.\d%/);
  assert.match(offline.stdout, new RegExp(`held out 1200 of the 6000 states of .*states\\.npy \\(20\\.0%, drawn from seed 3\\): agreement \\d+\\.\\d%, decisive-state agreement .*, Q regret .*; no return measured`));
  const card = JSON.parse(readFileSync(join(offlineOut, 'card.json'), 'utf8'));
  assert.equal(card.evalReward, null);
  assert.equal(card.returnMeasured, false);
  assert.deepEqual([card.observations.states, card.observations.trainStates, card.observations.heldOutStates, card.observations.heldOutShare, card.observations.heldOutAlsoInTraining], [6000, 4800, 1200, 0.2, 0]);
  assert.ok(card.rounds.every((r: { evalMean: unknown }) => r.evalMean === null));

  // The usual way: the same student size and budget, states collected in the env (the student drives after round 1).
  const envOut = join(dir, 'env');
  const collected = runCli(['distill', TEACHER, ...BUDGET, '--steps-per-round', '2000', '--no-early-stop', '--eval-episodes', '10', '--final-episodes', '10', '--out', envOut, '--json'], 180_000);
  assert.equal(collected.status, 0, collected.stderr);

  // Both students on the SAME held-out states: those the offline run kept out of training (neither saw them).
  const { heldOut } = heldOutSplit(STATES, 0.2, 3);
  const held = new Float32Array(heldOut.length * 4);
  heldOut.forEach((i, k) => held.set(states.subarray(i * 4, i * 4 + 4), k * 4));
  const ofOffline = await measured(join(offlineOut, 'student.onnx'), held);
  const ofCollected = await measured(join(envOut, 'student.onnx'), held);
  const show = (f: Fidelity) => `agreement ${f.agreement.toFixed(4)}, decisive ${f.decisiveAgreement?.toFixed(4)} (${f.decisiveShare.toFixed(3)} decisive), relative regret ${f.relativeRegret?.toFixed(4)}`;
  console.log(`held-out states: ${heldOut.length}\n  offline:       ${show(ofOffline)}\n  env-collected: ${show(ofCollected)}`);
  assert.ok(ofOffline.agreement >= 0.9 && ofCollected.agreement >= 0.9, `offline ${show(ofOffline)}; env-collected ${show(ofCollected)}`);
  assert.ok(ofOffline.agreement >= ofCollected.agreement - 0.02, `offline ${show(ofOffline)}; env-collected ${show(ofCollected)}`);
  // The card's figures are these (tfjs there, onnxruntime here: a near-tie may flip).
  assert.ok(Math.abs(card.agreement - ofOffline.agreement) <= 2 / heldOut.length, `card ${card.agreement} vs ${ofOffline.agreement}`);
  assert.ok(Math.abs(card.relativeRegret - ofOffline.relativeRegret!) <= 0.01, `card ${card.relativeRegret} vs ${ofOffline.relativeRegret}`);

  // The training states, as numpy reads them: 4800 states labelled by the teacher, no transitions.
  const out = python(`
import json, numpy as np
d = np.load('offline/dataset.npz')
meta = json.loads(str(d['meta']))
assert meta['source'] == 'observations' and meta['count'] == 4800 and meta['targets'] == 'q_values', meta
assert d['observations'].shape == (4800, 4) and d['observations'].dtype == np.float32
assert d['targets'].shape == (4800, 2) and d['actions'].dtype == np.int64
assert (d['actions'] == d['targets'].argmax(1)).all()
states = np.load('states.npy')
held = np.array(${JSON.stringify([...heldOut])})
train = np.setdiff1d(np.arange(len(states)), held)
assert np.array_equal(d['observations'], states[train])
print('ok')
`);
  assert.equal(out.trim(), 'ok');
  // And back through our reader (what --dataset takes).
  const back = readDataset(join(offlineOut, 'dataset.npz'));
  assert.equal(back.header.count, 4800);
  assert.equal(back.actions[0], argmax(back.targets.subarray(0, 2)));
});

test('distill --observations --json with a PyTorch teacher: held-out fidelity figures, no return; an .npz member named obs is found; repeated states are kept and counted', async () => {
  // 500 states and a second copy of the first 60: nothing is deduplicated, the held-out copies are counted.
  const states = new Float32Array(560 * 4);
  states.set(await teacherStates(500));
  states.copyWithin(500 * 4, 0, 60 * 4);
  writeNpz(join(dir, 'obs.npz'), { obs: { shape: [560, 4], data: states }, episode_return: { shape: [1], data: Float64Array.of(1) } });
  const row = (i: number) => states.subarray(i * 4, i * 4 + 4).join();
  const split = heldOutSplit(560, 0.1, 1);
  const training = new Set([...split.train].map(row));
  const alsoInTraining = [...split.heldOut].filter((i) => training.has(row(i))).length;
  assert.ok(alsoInTraining > 0);
  // A PyTorch export without qdistill metadata labels them; --env only names its shapes.
  const r = runCli(['distill', 'models/pytorch/cartpole-v1-mlp.onnx', '--env', 'CartPole-v1', '--observations', join(dir, 'obs.npz'), '--student', '8', '--rounds', '1', '--gradient-steps', '50', '--held-out-share', '0.1', '--out', join(dir, 'json'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.reward, null);
  assert.equal(s.teacherReward, null);
  assert.equal(s.returnMeasured, false);
  assert.equal(s.collect, 'observations');
  assert.deepEqual(s.observations, { file: join(dir, 'obs.npz'), array: 'obs', states: 560, trainStates: 504, heldOutStates: 56, heldOutShare: 0.1, seed: 1, heldOutAlsoInTraining: alsoInTraining });
  assert.equal(s.heldOut.states, 56);
  for (const key of ['agreement', 'decisiveAgreement', 'decisiveShare', 'regret', 'relativeRegret', 'qScale']) assert.equal(typeof s.heldOut[key], 'number', key);
  assert.equal(s.agreement, s.heldOut.agreement);
});

test('distill --observations with no environment at all: a torch.onnx.export teacher, no --env; the shapes come from its graph, no env is made', async () => {
  python(`import numpy as np
rng = np.random.default_rng(5)
np.save('box.npy', rng.uniform([-1, -1, -0.2, -1], [1, 1, 0.2, 1], size=(3000, 4)))`);
  const out = join(dir, 'no-env');
  const r = runCli(['distill', 'models/pytorch/cartpole-v1-mlp.onnx', '--observations', join(dir, 'box.npy'), '--student', '16,16', '--rounds', '4', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.returnMeasured, false);
  assert.equal(s.heldOut.states, 600);
  assert.ok(s.heldOut.agreement >= 0.9, `held-out agreement ${s.heldOut.agreement}`);
  const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'));
  assert.equal(card.env, null);
  // The student names no env either; given one, it plays like any policy file.
  const bare = runCli(['eval', join(out, 'student.onnx'), '--episodes', '1']);
  assert.equal(bare.status, 2);
  assert.match(ourLines(bare.stderr)[0], /no qdistill\.env metadata; pass --env/);
  const played = runCli(['eval', join(out, 'student.onnx'), '--env', 'CartPole-v1', '--episodes', '3', '--json']);
  assert.equal(played.status, 0, played.stderr);
  assert.equal(JSON.parse(played.stdout).episodes, 3);
  // A graph whose observation shape is not fixed cannot be read without an env: one line.
  const dynamic = join(dir, 'dynamic.onnx');
  python(`import torch
net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
torch.onnx.export(net, torch.zeros(1, 4), ${JSON.stringify(dynamic)}, input_names=['obs'], output_names=['q'], dynamic_axes={'obs': {0: 'batch', 1: 'features'}, 'q': {0: 'batch'}})`);
  const refused = runCli(['distill', dynamic, '--observations', join(dir, 'box.npy'), '--student', '8', '--out', join(dir, 'refused')]);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(ourLines(refused.stderr)[0], /the observation shape is unknown without an environment; pass --env/);
});

test('bad observations: the wrong shape, NaN or infinite values, several unnamed arrays, too few states: one line, exit 2', () => {
  const spec = envSpec('CartPole-v1');
  const write = (name: string, script: string) => (python(`import numpy as np\n${script}`), join(dir, name));
  const wrongShape = write('wrong.npy', "np.save('wrong.npy', np.zeros((10, 5), dtype=np.float32))");
  const nan = write('nan.npy', "a = np.zeros((10, 4)); a[7, 2] = np.nan; np.save('nan.npy', a)");
  const inf = write('inf.npy', "a = np.zeros((10, 4)); a[3, 1] = 1e300; np.save('inf.npy', a)");
  const several = write('several.npz', "np.savez('several.npz', a=np.zeros((10, 4)), b=np.zeros(3))");
  const one = write('one.npy', "np.save('one.npy', np.zeros((1, 4)))");
  const flat = write('flat.npy', "np.save('flat.npy', np.zeros(40))");
  const cases: [string, RegExp][] = [
    [wrongShape, /the states have shape \(10, 5\), but the teacher takes CartPole-v1 observations of shape \[4\]/],
    [nan, /state 7 holds NaN at element 2: observations must be finite/],
    [inf, /state 3 holds 1e\+300 \(Infinity as float32\) at element 1/],
    [several, /holds the arrays 'a', 'b'; name the states 'observations' or 'obs'/],
    [one, /1 state: .* needs at least 2/],
    [flat, /the states have shape \(40\)/],
  ];
  for (const [file, what] of cases) {
    assert.throws(() => readOfflineObservations(file, spec), (e: unknown) => e instanceof UsageError && what.test(e.message) && e.message.includes(file), file);
  }
  // Through the CLI: one line, exit 2, before anything trains.
  for (const [args, what] of [
    [['--observations', nan], /qdistill: state 7 holds NaN at element 2: observations must be finite \(.*nan\.npy\)/],
    [['--observations', dir], /is a folder, not a file/],
    [['--observations', wrongShape, '--loss', 'dqn+kl'], /--loss dqn\+kl learns from transitions/],
    [['--observations', wrongShape, '--dataset', wrongShape], /--observations, --dataset and --from-demos are alternatives/],
    // A file from elsewhere, no --env: its graph gives the shapes, and states of another shape are refused.
    [['models/pytorch/cartpole-v1-mlp.onnx', '--observations', wrongShape], /the states have shape \(10, 5\), but the teacher takes observations of shape \[4\]: give an array shaped \(N, 4\)/],
  ] as [string[], RegExp][]) {
    const r = runCli(['distill', ...(args[0].endsWith('.onnx') ? [] : [TEACHER]), ...args, '--student', '8', '--out', join(dir, 'never')]);
    assert.equal(r.status, 2, r.stderr);
    const lines = ourLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], what);
  }
});

test('record --out x.npz: numpy.load reads observations, actions, rewards, next_observations, terminated, truncated, episode consistent with the episodes', () => {
  const r = runCli(['record', TEACHER, '--episodes', '3', '--seed', '11', '--out', join(dir, 'demos.npz'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  const out = python(`
import json, numpy as np
d = np.load('demos.npz')
assert d.files == ['observations', 'actions', 'rewards', 'next_observations', 'terminated', 'truncated', 'episode', 'meta'], d.files
n = ${summary.transitions}
assert d['observations'].shape == (n, 4) and d['observations'].dtype == np.float32
assert d['next_observations'].shape == (n, 4) and d['next_observations'].dtype == np.float32
assert d['actions'].shape == (n,) and d['actions'].dtype == np.int64 and set(d['actions'].tolist()) <= {0, 1}
assert d['rewards'].dtype == np.float32 and (d['rewards'] == 1).all()          # CartPole: 1 per step
assert d['terminated'].dtype == np.bool_ and d['truncated'].dtype == np.bool_
episode = d['episode']
assert episode.dtype == np.int64 and episode.tolist() == sorted(episode.tolist()) and set(episode.tolist()) == {0, 1, 2}
ends = d['terminated'] | d['truncated']
last = np.r_[episode[1:] != episode[:-1], True]
assert np.array_equal(ends, last)                                             # each episode ends once, at its last step
within = ~last
assert np.array_equal(d['next_observations'][within], d['observations'][1:][within[:-1]])
returns = [float(d['rewards'][episode == e].sum()) for e in range(3)]
assert abs(np.mean(returns) - ${summary.mean}) < 1e-9, returns
# A CartPole episode that lasts 500 steps is truncated, not terminated.
for e, R in enumerate(returns):
    assert d['truncated'][episode == e][-1] == (R == 500) and d['terminated'][episode == e][-1] == (R < 500)
meta = json.loads(str(d['meta']))
assert meta['env'] == 'CartPole-v1' and meta['source'] == 'demonstrations' and meta['count'] == n
print('ok')
`);
  assert.equal(out.trim(), 'ok');
  // Read back as demonstrations: the same arrays as a .qdb recording of the same episodes.
  assert.equal(runCli(['record', TEACHER, '--episodes', '3', '--seed', '11', '--out', join(dir, 'demos.qdb')]).status, 0);
  const fromNpz = readDataset(join(dir, 'demos.npz'));
  const fromQdb = readDataset(join(dir, 'demos.qdb'));
  assert.deepEqual(fromNpz.header, fromQdb.header);
  for (const key of ['observations', 'nextObservations', 'actions', 'rewards', 'terminals', 'targets'] as const) assert.deepEqual(fromNpz[key], fromQdb[key], key);
  const cloned = runCli(['distill', '--from-demos', join(dir, 'demos.npz'), '--student', '8', '--rounds', '1', '--gradient-steps', '50', '--eval-episodes', '10', '--final-episodes', '2', '--out', join(dir, 'bc'), '--json']);
  assert.equal(cloned.status, 0, cloned.stderr);
  assert.equal(JSON.parse(cloned.stdout).collect, 'demonstrations');
  const bad = runCli(['record', TEACHER, '--episodes', '1', '--out', join(dir, 'demos.npy')]);
  assert.equal(bad.status, 2);
  assert.match(ourLines(bad.stderr)[0], /demonstrations are several arrays: write an \.npz/);
});

test('distill --from-demos reads demonstrations another tool saved with numpy (obs, acts, no qdistill header) as those of --env', () => {
  const recorded = join(dir, 'teacher-demos.npz');
  const r = runCli(['record', TEACHER, '--episodes', '10', '--out', recorded, '--json']);
  assert.equal(r.status, 0, r.stderr);
  // As a hand-written recorder or the imitation library would save them: other names, other dtypes.
  python(`import numpy as np
d = np.load(${JSON.stringify(recorded)})
np.savez('foreign.npz', obs=d['observations'].astype(np.float64), acts=d['actions'].astype(np.int32), dones=d['terminated'])`);
  const foreign = join(dir, 'foreign.npz');
  const bc = runCli(['distill', '--from-demos', foreign, '--env', 'CartPole-v1', '--student', '16,16', '--rounds', '5', '--final-episodes', '20', '--out', join(dir, 'bc'), '--json']);
  assert.equal(bc.status, 0, bc.stderr);
  const s = JSON.parse(bc.stdout);
  assert.equal(s.collect, 'demonstrations');
  assert.ok(s.reward.mean >= 450, `behaviour cloning of the teacher's 10 episodes: ${s.reward.mean}`);
  // The states are the recorded ones.
  const states = readDataset(join(dir, 'bc', 'dataset.qdb'));
  assert.equal(states.header.count, JSON.parse(r.stdout).transitions);
  // Without --env the file names no env: one line saying what to pass.
  const bare = runCli(['distill', '--from-demos', foreign, '--student', '8', '--out', join(dir, 'bc-bare')]);
  assert.equal(bare.status, 2);
  assert.match(ourLines(bare.stderr)[0], /demonstrations saved by another tool are read with --from-demos and --env <id>/);
});
