// `import`: real Stable-Baselines3 / RL Zoo zips and real torch.save checkpoints (made by make_checkpoints.py
// with /usr/bin/python3's torch into a temp folder) → teacher.onnx, checked against torch's own Q-values,
// the reference ONNX checker and 100 evaluation episodes. Hostile and broken files are one line, exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { importModel } from '../../src/import/index.js';
import { openPolicy } from '../../src/infer/open.js';
import { metadataOf } from '../../src/onnx/graph.js';
import { readModelFile } from '../../src/onnx/model.js';
import { METADATA_KEYS } from '../../src/policy/metadata.js';
import { evaluate } from '../../src/rollout/evaluate.js';
import { visitedStates } from '../../src/rollout/visited-states.js';
import { referenceCheck } from '../support/onnx-checker.js';
import { ourLines, ROOT, runCli } from '../cli/run-cli.js';
import { readFloat32 } from '../support/float32-file.js';

const SCRIPT = fileURLToPath(new URL('./make_checkpoints.py', import.meta.url));
const ZOO = join(ROOT, '..', 'shared', 'fixtures', 'sb3', 'dqn-CartPole-v1');
const ZOO_ZIP = join(ZOO, 'CartPole-v1.zip');
let dir = '';
let manifest: Record<string, { obs?: number; actions?: number; network?: string; global?: string }> = {};

function python(args: string[]): void {
  const r = spawnSync('/usr/bin/python3', [SCRIPT, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`cannot run /usr/bin/python3: ${r.error.message}`);
  if (/No module named 'torch'/.test(r.stderr)) throw new Error('/usr/bin/python3 has no torch (apt-get install python3-torch)');
  assert.equal(r.status, 0, r.stderr);
}


/** Largest |a-b| / max(1, |b|) (relative, with an absolute floor for values near 0). */
function worstRelative(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

async function qValuesOf(onnx: string, states: Float32Array, obs: number): Promise<Float32Array> {
  const policy = await openPolicy(onnx, { runtime: 'ort-cpu' });
  try {
    return await policy.qValues(states, states.length / obs);
  } finally {
    await policy.dispose();
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qdistill-import-'));
  python(['make', dir]);
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('RL Zoo DQN CartPole-v1 zip → teacher.onnx: checker, 500 over 100 episodes, Q-values equal torch', { skip: existsSync(ZOO_ZIP) ? false : `no ${ZOO_ZIP} (shared fixtures absent)` }, async () => {
  const out = join(dir, 'zoo', 'teacher.onnx');
  const r = runCli(['import', ZOO_ZIP, '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.env, 'CartPole-v1');
  assert.equal(result.network, '256-256');
  assert.equal(result.algorithm, 'DQN');
  assert.equal(result.sb3Version, '1.0rc0');
  assert.equal(result.hyperparameters.learning_rate, 0.0023);
  assert.equal(result.hyperparameters.policy_kwargs, 'dict(net_arch=[256, 256])');

  const check = referenceCheck(out);
  assert.ok(check.ok, check.message);
  const metadata = metadataOf(readModelFile(out));
  assert.equal(metadata[METADATA_KEYS.env], 'CartPole-v1');
  const card = JSON.parse(metadata[METADATA_KEYS.card]);
  assert.equal(card.kind, 'teacher');
  assert.equal(card.source.sha256, spawnSync('sha256sum', [ZOO_ZIP], { encoding: 'utf8' }).stdout.split(' ')[0]);
  assert.equal(card.config.batch_size, 64);

  // card.json beside it: the same card, the zip's hash as node computes it, the version the zip itself records.
  assert.equal(result.cardPath, join(dir, 'zoo', 'card.json'));
  const cardJson = JSON.parse(readFileSync(result.cardPath, 'utf8'));
  assert.deepEqual(cardJson, card);
  assert.equal(cardJson.source.sha256, createHash('sha256').update(readFileSync(ZOO_ZIP)).digest('hex'));
  assert.equal(cardJson.source.sb3Version, new TextDecoder().decode(unzipSync(readFileSync(ZOO_ZIP))['_stable_baselines3_version']).trim());
  assert.equal(cardJson.source.format, 'sb3');
  assert.equal(cardJson.source.policyClass, 'stable_baselines3.dqn.policies.DQNPolicy');
  assert.equal(cardJson.source.envSource, "the name 'CartPole-v1.zip'");
  assert.equal(cardJson.source.zooConfig, join(ZOO, 'config.yml'));
  assert.equal(Object.keys(cardJson.config).length, readFileSync(join(ZOO, 'config.yml'), 'utf8').split('\n').filter((l) => /^(- |  )- - /.test(l)).length);
  assert.equal(cardJson.config.n_timesteps, 50000);
  assert.equal(cardJson.config.policy, 'MlpPolicy');
  assert.deepEqual(cardJson.input, { shape: [4], layout: 'flat', preprocessing: null });

  const policy = await openPolicy(out, { runtime: 'ort-cpu' });
  try {
    const played = await evaluate(policy, { episodes: 100 });
    assert.equal(played.mean, 500, `mean ${played.mean}`);
    const { observations } = await visitedStates(policy, 1000, 7);
    const statesPath = join(dir, 'zoo.states.f32');
    writeFileSync(statesPath, observations);
    python(['sb3-qvalues', ZOO_ZIP, statesPath, join(dir, 'zoo.q.f32'), '4']);
    const ours = await policy.qValues(observations, 1000);
    const worst = worstRelative(ours, readFloat32(join(dir, 'zoo.q.f32')));
    assert.ok(worst <= 1e-5, `worst relative difference ${worst}`);
  } finally {
    await policy.dispose();
  }
});

for (const [name, env] of [
  ['sequential.pt', 'CartPole-v1'],
  ['q_network.cleanrl_model', 'Acrobot-v1'],
  ['strided.pth', 'CartPole-v1'],
] as const) {
  test(`torch.save state dict ${name} → teacher.onnx with torch's Q-values on 1,000 states`, async () => {
    const m = manifest[name];
    const out = join(dir, `${name}.onnx`);
    const result = await importModel(join(dir, name), { out });
    assert.equal(result.env, env);
    assert.match(result.envSource, /only environment/);
    assert.equal(result.network, m.network);
    assert.equal(result.format, 'state_dict');
    const check = referenceCheck(out);
    assert.ok(check.ok, check.message);
    const ours = await qValuesOf(out, readFloat32(join(dir, `${name}.states.f32`)), m.obs!);
    const worst = worstRelative(ours, readFloat32(join(dir, `${name}.q.f32`)));
    assert.ok(worst <= 1e-5, `worst relative difference ${worst}`);
  });
}

/** Bad input: exit 2, one line on stderr, no stack. */
function assertOneLine(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, `exit code: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.equal(ourLines(r.stderr).length, 1);
  assert.match(lines[0], pattern);
}

test('a checkpoint whose pickle names os.system or eval is refused, naming the global, and runs nothing', () => {
  for (const name of ['evil-eval.pt', 'evil-system.pt']) {
    const global = manifest[name].global!;
    assertOneLine(['import', join(dir, name), '--out', join(dir, 'evil.onnx')], new RegExp(`checkpoint asks for '${global.replace('.', '\\.')}', which qdistill does not load \\(.*${name}\\)$`));
  }
  assert.equal(existsSync(join(dir, 'PWNED')), false);
  assert.equal(existsSync(join(dir, 'evil.onnx')), false);
});

test('a truncated checkpoint, a file that is not a zip, a missing file → one line, exit 2', () => {
  assertOneLine(['import', join(dir, 'truncated.pt'), '--out', join(dir, 'x.onnx')], /cannot read the zip: .*truncated/);
  assertOneLine(['import', join(dir, 'not-a-zip.pt'), '--out', join(dir, 'x.onnx')], /not a zip file/);
  assertOneLine(['import', join(dir, 'nope.pt'), '--out', join(dir, 'x.onnx')], /no such file/);
});

test('--env that does not fit the network → one line naming both sizes', () => {
  assertOneLine(['import', join(dir, 'sequential.pt'), '--env', 'Acrobot-v1', '--out', join(dir, 'x.onnx')], /takes 4 inputs but Acrobot-v1 observations have 6/);
});

test('import --help has an example that runs', { skip: existsSync(ZOO_ZIP) ? false : 'shared fixtures absent' }, () => {
  const help = runCli(['import', '--help']);
  assert.equal(help.status, 0);
  const example = help.stdout.split('\n').find((l) => l.trim().startsWith('qdistill import ../shared/'));
  assert.ok(example, help.stdout);
  const args = example.trim().split(/\s+/).slice(1).map((a) => (a === 'teacher.onnx' ? join(dir, 'help', 'teacher.onnx') : a));
  const r = runCli(args);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*teacher\.onnx/);
});
