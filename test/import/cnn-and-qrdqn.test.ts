// `import` of SB3 CnnPolicy (NatureCNN) and sb3-contrib QR-DQN zips, made the way SB3 writes them
// (make_checkpoints.py sb3-zips, with test/corpus/make_corpus.py's SB3-format writer and real torch modules
// that carry SB3's attribute names), against the Q-values /usr/bin/python3's torch computes on the same
// states; card.json against node's own hash of the file and the Zoo files the script wrote.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { importModel } from '../../src/import/index.js';
import { openPolicy } from '../../src/infer/open.js';
import { metadataOf, valueInfoDims } from '../../src/onnx/graph.js';
import { readModelFile } from '../../src/onnx/model.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { METADATA_KEYS } from '../../src/policy/metadata.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { readFloat32 } from '../support/float32-file.js';
import { referenceCheck } from '../support/onnx-checker.js';

const SCRIPT = fileURLToPath(new URL('./make_checkpoints.py', import.meta.url));

interface Fixture {
  states: string;
  q: string;
  obsShape: number[];
  actions: number;
  sb3Version: string;
  network: string;
  quantiles?: number;
  preprocessing?: string | null;
  config?: Record<string, unknown>;
  args?: Record<string, unknown>;
}

let dir = '';
let manifest: Record<string, Fixture> = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qdistill-import-sb3-'));
  const r = spawnSync('/usr/bin/python3', [SCRIPT, 'sb3-zips', dir], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`cannot run /usr/bin/python3: ${r.error.message}`);
  if (/No module named 'torch'/.test(r.stderr)) throw new Error('/usr/bin/python3 has no torch (apt-get install python3-torch)');
  assert.equal(r.status, 0, r.stderr);
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Q-values of an ONNX file from onnxruntime itself (no env needed): `count` observations of `shape`. */
async function onnxQ(path: string, states: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  const count = states.length / shape.reduce((a, b) => a * b, 1);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', states, [count, ...shape]) });
  return out[session.outputNames[0]].data as Float32Array;
}

/**
 * Holds `ours` within 1e-5 of torch's `ref`, both relative to each value (with a floor of 1 for values near 0)
 * and relative to the largest |Q|, and that every greedy action is torch's; reports the figures.
 */
function assertTorchQ(t: TestContext, ours: Float32Array, ref: Float32Array, actions: number): void {
  assert.equal(ours.length, ref.length, `onnxruntime gave ${ours.length} values, torch ${ref.length}`);
  let perValue = 0;
  let maxDiff = 0;
  let maxRef = 0;
  let agree = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    perValue = Math.max(perValue, d / Math.max(1, Math.abs(ref[i])));
    maxDiff = Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  const argmax = (q: Float32Array, row: number) => {
    let best = 0;
    for (let j = 1; j < actions; j++) if (q[row * actions + j] > q[row * actions + best]) best = j;
    return best;
  };
  for (let row = 0; row < ref.length / actions; row++) if (argmax(ours, row) === argmax(ref, row)) agree++;
  t.diagnostic(`max relative error vs torch: ${perValue.toExponential(2)} per value, ${(maxDiff / maxRef).toExponential(2)} of max |Q| (${maxRef.toFixed(3)}); greedy actions ${agree}/${ref.length / actions}`);
  assert.ok(maxRef > 0.1, `torch's Q-values are too small to tell layouts apart (max |Q| ${maxRef})`);
  assert.ok(perValue <= 1e-5, `worst relative difference ${perValue}`);
  assert.ok(maxDiff / maxRef <= 1e-5, `max |Δ| / max |Q| = ${maxDiff / maxRef}`);
  assert.equal(agree, ref.length / actions);
}

/** card.json beside `out`: the copy inside the file, the file's SHA-256 as node computes it, its SB3 version. */
function assertCard(out: string, source: string, m: Fixture): Record<string, any> {
  const cardPath = join(out, '..', 'card.json');
  assert.ok(existsSync(cardPath), 'no card.json beside the teacher');
  const card = JSON.parse(readFileSync(cardPath, 'utf8'));
  assert.deepEqual(card, JSON.parse(metadataOf(readModelFile(out))[METADATA_KEYS.card]), 'card.json differs from qdistill.card');
  assert.equal(card.kind, 'teacher');
  assert.equal(card.source.sha256, createHash('sha256').update(readFileSync(source)).digest('hex'));
  assert.equal(card.source.format, 'sb3');
  assert.equal(card.source.sb3Version, m.sb3Version);
  assert.equal(card.network, m.network);
  assert.equal(card.quantiles, m.quantiles);
  assert.deepEqual(card.input.shape, m.obsShape);
  assert.equal(card.input.preprocessing, m.preprocessing ?? null);
  for (const key of ['toolVersion', 'command', 'machine', 'createdAt']) assert.equal(typeof card[key], 'string', key);
  return card;
}

test('RL Zoo run folder with a QR-DQN MlpPolicy (n_quantiles 25): env from args.yml, Q = torch mean over quantiles, card.json with config.yml', async (t) => {
  const name = 'zoo-qrdqn/CartPole-v1.zip';
  const m = manifest[name];
  const source = join(dir, name);
  const out = join(dir, 'out-zoo', 'teacher.onnx');
  const r = runCli(['import', source, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.env, 'CartPole-v1');
  assert.match(result.envSource, /CartPole-v1\/args\.yml names it$/);
  assert.equal(result.algorithm, 'QR-DQN');
  assert.equal(result.quantiles, 25);
  assert.equal(result.network, '64-64');
  assert.equal(result.cardPath, join(dir, 'out-zoo', 'card.json'));
  const check = referenceCheck(out);
  assert.ok(check.ok, check.message);

  const card = assertCard(out, source, m);
  assert.equal(card.env, 'CartPole-v1');
  assert.equal(card.algorithm, 'QR-DQN');
  assert.equal(card.source.policyClass, 'sb3_contrib.qrdqn.policies.QRDQNPolicy');
  assert.equal(card.source.envSource, result.envSource);
  assert.deepEqual(card.config, m.config, "card.config is not the Zoo's config.yml");
  assert.deepEqual(result.hyperparameters, m.config);
  for (const [key, value] of Object.entries(m.args!)) assert.equal(card.args[key], value, `args.yml ${key}`);
  assert.match(card.source.zooConfig, /zoo-qrdqn\/CartPole-v1\/config\.yml$/);
  assert.match(card.source.zooArgs, /zoo-qrdqn\/CartPole-v1\/args\.yml$/);

  const policy = await openPolicy(out, { runtime: 'ort-cpu' });
  try {
    const states = readFloat32(join(dir, m.states));
    assertTorchQ(t, await policy.qValues(states, states.length / 4), readFloat32(join(dir, m.q)), m.actions);
  } finally {
    await policy.dispose();
  }
});

test("QR-DQN with sb3-contrib's defaults (policy_kwargs {}): 200 quantiles, the env from the sizes, no Zoo files on the card", async (t) => {
  const m = manifest['qrdqn-default.zip'];
  const source = join(dir, 'qrdqn-default.zip');
  const out = join(dir, 'out-default', 'teacher.onnx');
  const result = await importModel(source, { out });
  assert.equal(result.quantiles, 200);
  assert.equal(result.env, 'CartPole-v1');
  assert.match(result.envSource, /only environment with 4 observations and 2 actions/);
  assert.equal(result.hyperparameters, null);
  const card = assertCard(out, source, m);
  assert.deepEqual(card.config, {});
  assert.equal(card.args, null);
  assert.equal(card.source.zooConfig, null);
  const states = readFloat32(join(dir, m.states));
  assertTorchQ(t, await onnxQ(out, states, [4]), readFloat32(join(dir, m.q)), m.actions);
});

test('DQN CnnPolicy on uint8 [4, 84, 84] frames (SB3 1.8, gym): NatureCNN after obs / 255, written with no env, inspect works, eval asks for --env', async (t) => {
  const name = 'atari/dqn-cnn.zip';
  const m = manifest[name];
  const source = join(dir, name);
  const out = join(dir, 'out-atari', 'teacher.onnx');
  const lines: string[] = [];
  const result = await importModel(source, { out, onLog: (line) => lines.push(line) });
  assert.equal(result.env, null);
  assert.match(result.envSource, /^no environment of qdistill's has \[4, 84, 84\] image observations and 6 actions/);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /\[4, 84, 84\].*records none; pass --env/);
  assert.equal(result.preprocessing, 'obs / 255');
  assert.deepEqual(result.observationShape, [4, 84, 84]);
  const check = referenceCheck(out);
  assert.ok(check.ok, check.message);

  const model = readModelFile(out);
  const metadata = metadataOf(model);
  assert.equal(metadata[METADATA_KEYS.env], undefined, 'a file no env fits must not name one');
  assert.equal(metadata[METADATA_KEYS.layout], 'nchw');
  assert.deepEqual(valueInfoDims(model.graph!.input[0]), ['batch', 4, 84, 84]);
  const ops = model.graph!.node.map((n) => n.opType);
  assert.deepEqual(ops.slice(0, 7), ['Mul', 'Conv', 'Relu', 'Conv', 'Relu', 'Conv', 'Relu']);
  const scale = model.graph!.initializer.find((i) => i.name === model.graph!.node[0].input[1])!;
  assert.equal(tensorToFloat32(scale)[0], Math.fround(1 / 255));

  const card = assertCard(out, source, m);
  assert.equal(card.env, null);
  assert.equal(card.source.policyClass, 'stable_baselines3.dqn.policies.CnnPolicy');
  assert.deepEqual(card.source.observationSpace, { shape: [4, 84, 84], dtype: 'uint8', low: 0, high: 255 });
  assert.equal(card.source.normalizeImages, true);
  assert.equal(card.args.env, 'PongNoFrameskip-v4', "args.yml's env (not one of ours) is on the card");

  const states = readFloat32(join(dir, m.states));
  assertTorchQ(t, await onnxQ(out, states, m.obsShape), readFloat32(join(dir, m.q)), m.actions);

  const inspect = runCli(['inspect', out, '--json']);
  assert.equal(inspect.status, 0, inspect.stderr);
  await assert.rejects(openPolicy(out, { runtime: 'ort-cpu' }), /has no qdistill\.env metadata; pass --env/);
  for (const [args, pattern] of [
    [['eval', out, '--episodes', '1'], /^qdistill: the model has no qdistill\.env metadata; pass --env <id>/],
    [['eval', out, '--env', 'MinAtar/Breakout', '--episodes', '1'], /^qdistill: input 'obs' has shape \[batch, 4, 84, 84\], but MinAtar\/Breakout observations are \[batch, 10, 10, 4\]/],
  ] as const) {
    const r = runCli([...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(ourLines(r.stderr).length, 1, r.stderr);
    assert.match(ourLines(r.stderr)[0], pattern);
  }
});

test('CnnPolicy with normalize_images=False on float [3, 64, 64] images, features_dim 256, net_arch [256]: no / 255', async (t) => {
  const m = manifest['dqn-cnn-float.zip'];
  const source = join(dir, 'dqn-cnn-float.zip');
  const out = join(dir, 'out-float', 'teacher.onnx');
  const result = await importModel(source, { out });
  assert.equal(result.preprocessing, null);
  assert.equal(result.network, 'conv32-64-64-256-256');
  const model = readModelFile(out);
  assert.ok(!model.graph!.node.some((n) => n.opType === 'Mul'), 'normalize_images=False: no Mul');
  const card = assertCard(out, source, m);
  assert.equal(card.source.normalizeImages, false);
  const states = readFloat32(join(dir, m.states));
  assertTorchQ(t, await onnxQ(out, states, m.obsShape), readFloat32(join(dir, m.q)), m.actions);
});

test('QR-DQN CnnPolicy (quantile_net.features_extractor, n_quantiles 10) → torch mean over quantiles', async (t) => {
  const m = manifest['qrdqn-cnn.zip'];
  const source = join(dir, 'qrdqn-cnn.zip');
  const out = join(dir, 'out-qrdqn-cnn', 'teacher.onnx');
  const result = await importModel(source, { out });
  assert.equal(result.algorithm, 'QR-DQN');
  assert.equal(result.quantiles, 10);
  assert.equal(result.env, null);
  const card = assertCard(out, source, m);
  assert.equal(card.source.policyClass, 'sb3_contrib.qrdqn.policies.CnnPolicy');
  const check = referenceCheck(out);
  assert.ok(check.ok, check.message);
  const states = readFloat32(join(dir, m.states));
  assertTorchQ(t, await onnxQ(out, states, m.obsShape), readFloat32(join(dir, m.q)), m.actions);
});

test('a CNN qdistill cannot import faithfully, or an --env that does not fit, is one line, exit 2, nothing written', () => {
  for (const [file, extra, pattern] of [
    ['cnn-minatar-shape.zip', [], /NatureCNN's convolutions \(8×8 stride 4, 4×4 stride 2, 3×3 stride 1\) do not fit \[4, 10, 10\] images/],
    ['cnn-custom.zip', [], /tensor 'q_net\.features_extractor\.cnn\.0\.weight' has shape \[32, 4, 5, 5\], but NatureCNN's has \[32, 4, 8, 8\]/],
    ['atari/dqn-cnn.zip', ['--env', 'MinAtar/Breakout'], /the network takes \[4, 84, 84\] images but MinAtar\/Breakout observations are \[10, 10, 4\]/],
  ] as const) {
    const out = join(dir, 'refused', file, 'teacher.onnx');
    const r = runCli(['import', join(dir, file), ...extra, '--out', out]);
    assert.equal(r.status, 2, `${file}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
    assert.ok(!existsSync(out) && !existsSync(join(out, '..', 'card.json')), `${file}: something was written`);
  }
});

test('importing into a folder that has a teacher replaces teacher.onnx and card.json (as import always has)', async () => {
  const out = join(dir, 'out-twice', 'teacher.onnx');
  await importModel(join(dir, 'qrdqn-default.zip'), { out });
  const r = runCli(['import', join(dir, 'zoo-qrdqn/CartPole-v1.zip'), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^read QR-DQN 64-64 \(\d+ parameters, 25 quantiles, sb3 2\.3\.2\) for CartPole-v1/);
  assert.match(r.stdout, new RegExp(`wrote .*teacher\\.onnx and .*out-twice/card\\.json`));
  const card = JSON.parse(readFileSync(join(dir, 'out-twice', 'card.json'), 'utf8'));
  assert.equal(card.source.sha256, createHash('sha256').update(readFileSync(join(dir, 'zoo-qrdqn/CartPole-v1.zip'))).digest('hex'));
  assert.equal(card.quantiles, 25);
});

test('a state dict no env of ours fits (7 observations, 3 actions) is written without an env, flat, with torch\'s Q-values', async (t) => {
  const m = manifest['mlp-7-inputs.pt'];
  const out = join(dir, 'out-mlp7', 'teacher.onnx');
  const result = await importModel(join(dir, 'mlp-7-inputs.pt'), { out });
  assert.equal(result.env, null);
  assert.match(result.envSource, /^no environment of qdistill's has 7 observations and 3 actions/);
  assert.deepEqual(result.observationShape, [7]);
  assert.equal(result.format, 'state_dict');
  const metadata = metadataOf(readModelFile(out));
  assert.equal(metadata[METADATA_KEYS.env], undefined);
  assert.equal(metadata[METADATA_KEYS.layout], 'flat');
  const card = JSON.parse(readFileSync(join(dir, 'out-mlp7', 'card.json'), 'utf8'));
  assert.equal(card.source.format, 'state_dict');
  assert.equal(card.source.sb3Version, null);
  assert.equal(card.source.sha256, createHash('sha256').update(readFileSync(join(dir, 'mlp-7-inputs.pt'))).digest('hex'));
  assertTorchQ(t, await onnxQ(out, readFloat32(join(dir, m.states)), [7]), readFloat32(join(dir, m.q)), m.actions);
});
