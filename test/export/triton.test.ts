// `export triton`: the repository it writes, read the way Triton reads it. Each config.pbtxt is parsed as
// Triton's ModelConfig (a subset of Triton's model_config.proto, with its field names and numbers) by a strict
// text-format reader, its tensor names are held against what onnxruntime-node reports for the written
// model.onnx, and model.onnx's outputs against the source file's, for our student and for files exported by
// real torch (torch.onnx.export's defaults: a fixed batch of 1 and torch's tensor names; and SB3's actions
// export, Flatten(obs.float()) and an ArgMax). The command lines go through the CLI's own main(), all in one
// child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { exportTriton } from '../../src/export/index.js';
import { DEFAULT_BATCH_WINDOW_US, DEFAULT_MAX_BATCH } from '../../src/util/batching-defaults.js';
import { runPython } from '../support/python.js';
import type { MainRun } from '../support/main-runs.js';
import { readTextFormat } from '../support/text-format.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STUDENT = join(ROOT, 'models/cartpole-v1-student-16x16/student.onnx');
const MODEL_CONFIG = new protobuf.Root().loadSync(fileURLToPath(new URL('triton-model-config.proto', import.meta.url)), { keepCase: true }).lookupType('inference.ModelConfig');

/** ModelConfig as a plain object: enums by name, 64-bit integers as numbers. */
interface ModelConfig {
  name: string;
  backend?: string;
  platform?: string;
  max_batch_size: number;
  input: { name: string; data_type: string; dims: number[] }[];
  output: { name: string; data_type: string; dims: number[] }[];
  dynamic_batching?: { preferred_batch_size: number[]; max_queue_delay_microseconds: number };
  instance_group: { kind?: string; count: number }[];
  parameters?: Record<string, { string_value: string }>;
}

function readConfig(repo: string, name: string): ModelConfig {
  const message = readTextFormat(readFileSync(join(repo, name, 'config.pbtxt'), 'utf8'), MODEL_CONFIG);
  return MODEL_CONFIG.toObject(message, { enums: String, longs: Number }) as ModelConfig;
}

/** A small MLP (4 → 8 → 2) exported with torch.onnx.export's defaults, and SB3's actions export of it. */
const TORCH_EXPORTS = `
import sys, torch, torch.nn as nn
torch.manual_seed(3)
mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
torch.onnx.export(mlp, torch.zeros(1, 4), sys.argv[1] + '/mlp.onnx')
class Sb3Actions(nn.Module):
    def __init__(self, q):
        super().__init__()
        self.flatten = nn.Flatten()
        self.q = q
    def forward(self, obs):
        return torch.argmax(self.q(self.flatten(obs.float())), dim=1)
torch.onnx.export(Sb3Actions(mlp), torch.zeros(1, 4), sys.argv[1] + '/sb3.onnx')
`;

const STATES = Float32Array.from({ length: 7 * 4 }, (_, i) => Math.sin(i * 1.7) * 1.5);

/** Every output of `file` on `count` CartPole states: one batch, or one state per run for a file fixed at batch 1. */
async function run(file: string, count: number, oneByOne: boolean): Promise<{ session: ort.InferenceSession; outputs: number[][] }> {
  const session = await ort.InferenceSession.create(readFileSync(file), { intraOpNumThreads: 1 });
  const name = session.outputNames[0];
  const rows: number[][] = [];
  const feed = async (from: number, n: number) => {
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', STATES.slice(from * 4, (from + n) * 4), [n, 4]) });
    const data = Array.from(result[name].data as Float32Array | BigInt64Array, Number);
    const width = data.length / n;
    for (let r = 0; r < n; r++) rows.push(data.slice(r * width, (r + 1) * width));
  };
  if (oneByOne) for (let i = 0; i < count; i++) await feed(i, 1);
  else await feed(0, count);
  return { session, outputs: rows };
}

const argmax = (row: number[]) => row.indexOf(Math.max(...row));

/** The command lines of the tests below, by name, run in one child process through the CLI's main(). */
function runCommandLines(lines: Record<string, string[]>): Record<string, MainRun> {
  const names = Object.keys(lines);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/main-runs.ts', JSON.stringify(names.map((n) => lines[n]))], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const runs = JSON.parse(r.stdout) as MainRun[];
  return Object.fromEntries(names.map((n, i) => [n, runs[i]]));
}

/** The refusals the bad command lines must print. */
const BAD: Record<string, RegExp> = {
  text: /not an ONNX model/,
  noEnv: /no qdistill\.env metadata; pass --env/,
  wrongEnv: /Acrobot-v1/,
  twoNames: /two models are named 'student'/,
  badName: /cannot use the file name 'my model' as a model name/,
};

describe('export triton', () => {
  let dir: string;
  let repo: string;
  let runs: Record<string, MainRun>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qdistill-triton-'));
    runPython(TORCH_EXPORTS.replaceAll('sys.argv[1]', JSON.stringify(dir)), dir);
    repo = join(dir, 'repo');
    exportTriton([STUDENT, `mlp=${join(dir, 'mlp.onnx')}`, `sb3=${join(dir, 'sb3.onnx')}`], { out: repo, env: 'CartPole-v1' });
    // What the command lines need: a user's own model folder, a file that is no model, a name that is none.
    mkdirSync(join(dir, 'user-repo', 'student', '1'), { recursive: true });
    writeFileSync(join(dir, 'user-repo', 'student', 'config.pbtxt'), 'name: "student"\n');
    writeFileSync(join(dir, 'text.onnx'), 'not a model\n');
    writeFileSync(join(dir, 'my model.onnx'), readFileSync(STUDENT));
    const triton = (...args: string[]) => ['export', 'triton', ...args];
    const never = join(dir, 'never');
    runs = runCommandLines({
      help: triton('--help'),
      example: triton(STUDENT, '--out', join(dir, 'triton-repo')),
      flagged: triton(STUDENT, '--out', join(dir, 'flagged'), '--max-batch', '8', '--batch-window-us', '500', '--gpu', '--hide-cards', '--json'),
      unbatched: triton(STUDENT, '--out', join(dir, 'unbatched'), '--no-batching'),
      again: triton(STUDENT, '--out', join(dir, 'triton-repo'), '--max-batch', '4'),
      userFolder: triton(STUDENT, '--out', join(dir, 'user-repo')),
      renamed: triton(`cart=${STUDENT}`, '--out', join(dir, 'user-repo')),
      text: triton(join(dir, 'text.onnx'), '--env', 'CartPole-v1', '--out', never),
      noEnv: triton(join(dir, 'mlp.onnx'), '--out', never),
      wrongEnv: triton(STUDENT, '--env', 'Acrobot-v1', '--out', never),
      twoNames: triton(STUDENT, STUDENT, '--out', never),
      badName: triton(join(dir, 'my model.onnx'), '--out', never),
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('each config.pbtxt is a ModelConfig naming the model, its backend, serve\'s batching and the graph\'s own tensor names', async () => {
    for (const [name, source] of [['student', STUDENT], ['mlp', join(dir, 'mlp.onnx')], ['sb3', join(dir, 'sb3.onnx')]]) {
      const config = readConfig(repo, name);
      const written = await ort.InferenceSession.create(readFileSync(join(repo, name, '1', 'model.onnx')));
      assert.equal(config.name, name);
      assert.equal(config.backend, 'onnxruntime');
      assert.equal(config.platform, 'onnxruntime_onnx');
      assert.equal(config.max_batch_size, DEFAULT_MAX_BATCH);
      assert.deepEqual(config.dynamic_batching, { preferred_batch_size: [DEFAULT_MAX_BATCH], max_queue_delay_microseconds: DEFAULT_BATCH_WINDOW_US });
      assert.deepEqual(config.instance_group, [{ kind: 'KIND_CPU', count: 1 }]);
      // The names Triton feeds and reads are the ones onnxruntime finds in the model Triton loads.
      assert.deepEqual(config.input, [{ name: written.inputNames[0], data_type: 'TYPE_FP32', dims: [4] }]);
      assert.deepEqual(config.output, [{ name: written.outputNames[0], data_type: 'TYPE_FP32', dims: [2] }]);
      assert.equal(config.parameters?.['qdistill.env'].string_value, 'CartPole-v1');
      if (name !== 'sb3') {
        // The input name is the file's own (torch's, not ours), as a client of the original model knows it.
        const original = await ort.InferenceSession.create(readFileSync(source));
        assert.equal(config.input[0].name, original.inputNames[0]);
        assert.equal(config.output[0].name, original.outputNames[0]);
      }
    }
    assert.match(readConfig(repo, 'mlp').input[0].name, /^onnx::|^input/, "torch's default input name");
    const card = JSON.parse(readConfig(repo, 'student').parameters!['qdistill.card'].string_value);
    const cardFile = JSON.parse(readFileSync(join(ROOT, 'models/cartpole-v1-student-16x16/card.json'), 'utf8'));
    assert.deepEqual([card.kind, card.env, card.student, card.parameters], [cardFile.kind, cardFile.env, cardFile.student, cardFile.parameters]);
  });

  test('model.onnx gives the source file\'s outputs, batched, also where the source fixes the batch at 1', async () => {
    const student = await run(STUDENT, 7, false);
    assert.deepEqual((await run(join(repo, 'student', '1', 'model.onnx'), 7, false)).outputs, student.outputs);
    const mlp = await run(join(dir, 'mlp.onnx'), 7, true);
    const mlpWritten = await run(join(repo, 'mlp', '1', 'model.onnx'), 7, false);
    for (let i = 0; i < 7; i++) mlpWritten.outputs[i].forEach((q, a) => assert.ok(Math.abs(q - mlp.outputs[i][a]) < 1e-6, `state ${i}: ${q} vs ${mlp.outputs[i][a]}`));
    // SB3's file gives actions; the repository's model gives the Q-values behind them, whose argmax they are.
    const actions = (await run(join(dir, 'sb3.onnx'), 7, true)).outputs.map((r) => r[0]);
    const q = (await run(join(repo, 'sb3', '1', 'model.onnx'), 7, false)).outputs;
    assert.deepEqual(q.map(argmax), actions);
    assert.deepEqual(q, mlpWritten.outputs);
  });

  test('the help example runs; the flags set max_batch_size, the batcher, the instance kind and the card', () => {
    assert.equal(runs.help.code, 0);
    assert.match(runs.help.stdout, /qdistill export triton models\/cartpole-v1-student-16x16\/student\.onnx --out triton-repo/);
    assert.equal(runs.example.code, 0, runs.example.stderr);
    assert.match(runs.example.stdout, /^wrote .*triton-repo: student \(obs \[4\] → logits \[2\]\); max_batch_size 64, dynamic batching up to 64, 200 µs, KIND_CPU\n$/);
    assert.equal(runs.flagged.code, 0, runs.flagged.stderr);
    assert.equal(JSON.parse(runs.flagged.stdout).models[0].name, 'student');
    const flagged = readConfig(join(dir, 'flagged'), 'student');
    assert.equal(flagged.max_batch_size, 8);
    assert.deepEqual(flagged.dynamic_batching, { preferred_batch_size: [8], max_queue_delay_microseconds: 500 });
    assert.deepEqual(flagged.instance_group, [{ kind: 'KIND_GPU', count: 1 }]);
    assert.equal(flagged.parameters?.['qdistill.card'], undefined);
    assert.equal(flagged.parameters?.['qdistill.env'].string_value, 'CartPole-v1');
    assert.equal(runs.unbatched.code, 0, runs.unbatched.stderr);
    const unbatched = readConfig(join(dir, 'unbatched'), 'student');
    assert.equal(unbatched.dynamic_batching, undefined);
    assert.equal(unbatched.max_batch_size, DEFAULT_MAX_BATCH);
  });

  test('a folder it wrote is replaced; a model folder it did not write is refused in one line and left as it was', () => {
    assert.equal(runs.again.code, 0, runs.again.stderr);
    assert.equal(readConfig(join(dir, 'triton-repo'), 'student').max_batch_size, 4);
    assert.equal(runs.userFolder.code, 2);
    assert.match(runs.userFolder.stderr, /^qdistill: the repository already has a model folder 'student' that export triton did not write [^\n]*\n$/);
    assert.equal(readFileSync(join(dir, 'user-repo', 'student', 'config.pbtxt'), 'utf8'), 'name: "student"\n');
    assert.equal(existsSync(join(dir, 'user-repo', 'student', '1', 'model.onnx')), false);
    // Under another name it goes beside the user's model.
    assert.equal(runs.renamed.code, 0, runs.renamed.stderr);
    assert.equal(readConfig(join(dir, 'user-repo'), 'cart').name, 'cart');
  });

  test('bad models and names: one line, exit 2, nothing written', () => {
    for (const [name, expected] of Object.entries(BAD)) {
      const r = runs[name];
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /^qdistill: [^\n]*\n$/, name);
      assert.match(r.stderr, expected, name);
    }
    assert.equal(existsSync(join(dir, 'never')), false, 'a refused export left its --out folder');
  });
});
