// Files whose output is actions, made by torch.onnx.export in the test (test/support/export_action_policies.py)
// from qdistill's CartPole teacher. torch writes `q.max(1).indices` and `q.argmax(1)` as ArgMax,
// `torch.topk(q, 1).indices` as TopK (k = 1), `q.double().argmax(1)` as Cast(double) → ArgMax and
// `.argmax(1).int()` as ArgMax → Cast(int32): all of them are read as the Q-values they take the argmax of.
// An action table looked up after the ArgMax (Gather), a comparison of Q-values (Greater → Cast) and a
// network computed in float64 leave no float32 Q-values of the env's actions to read: those are
// actions-only policies — act() gives the file's actions, qValues() their one-hot rows — on every runtime
// that runs onnxruntime, and the code generators refuse them in one line.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openPolicy, openPolicyBytes } from '../../src/infer/open.js';
import { makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { encodeModel } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { readFloat32 } from '../support/float32-file.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { torchFixtures, worstRelative } from '../support/torch-fixtures.js';

const SCRIPT = fileURLToPath(new URL('../support/export_action_policies.py', import.meta.url));
let dir = '';
let states: Float32Array = new Float32Array(0);
let count = 0;

before(() => {
  dir = torchFixtures(SCRIPT, 'qdistill-actions-');
  states = readFloat32(join(dir, 'states.f32'));
  count = states.length / 4;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function torchActions(name: string): number[] {
  const b = readFileSync(join(dir, `${name}.actions.i64`));
  return Array.from(new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), Number);
}

const ACTIONS_ONLY = [
  { name: 'table', why: /the actions come from Gather '\/Gather', not straight from an ArgMax of Q-values/ },
  { name: 'greater', why: /the actions come from Greater '\/Greater'/ },
  { name: 'float64', why: /ArgMax '\/ArgMax' reads double '.*', not float Q-values/ },
];

for (const { name, why } of ACTIONS_ONLY) {
  for (const runtime of ['ort-cpu', 'ort-wasm']) {
    test(`${name}: an actions-only policy on ${runtime}; act() gives torch's actions, qValues() their one-hot rows`, async () => {
      const notes: string[] = [];
      const policy = await openPolicy(join(dir, `${name}.onnx`), { env: 'CartPole-v1', runtime, onLog: (line) => notes.push(line) });
      try {
        assert.equal(policy.info.output, 'actions');
        assert.equal(policy.info.outputName, 'actions');
        assert.ok(notes.some((line) => /holds int64 actions and no float Q-values can be read behind them/.test(line) && why.test(line)), notes.join('\n'));
        const expected = torchActions(name);
        const rows = await policy.qValues(states, count);
        for (let s = 0; s < count; s++) {
          assert.equal(await policy.act(states.subarray(s * 4, s * 4 + 4)), expected[s], `state ${s}`);
          assert.deepEqual(Array.from(rows.subarray(s * 2, s * 2 + 2)), expected[s] === 0 ? [1, 0] : [0, 1]);
        }
      } finally {
        await policy.dispose();
      }
    });
  }
}

test("the table export's Q-values would pick the wrong actions: that is why it is not traced through its Gather", () => {
  const q = readFloat32(join(dir, 'teacher.q.f32'));
  const actions = torchActions('table');
  // The network's last layer is reversed and the table maps index i to action 1 − i: reading the Q-values
  // before the table (reversed too) would swap every action. torch's actions are the teacher's argmax.
  for (let s = 0; s < count; s++) assert.equal(actions[s], q[2 * s + 1] > q[2 * s] ? 1 : 0);
});

const TRACED = [
  { name: 'topk', via: 'TopK' },
  { name: 'max-indices', via: 'ArgMax' },
  { name: 'double-argmax', via: 'ArgMax' },
  { name: 'int32', via: 'ArgMax' },
];

for (const { name, via } of TRACED) {
  for (const runtime of ['ort-cpu', 'js']) {
    test(`${name}: read as the Q-values its ${via} takes on ${runtime} (torch's within 1e-5), acting as torch does`, async () => {
      const notes: string[] = [];
      const policy = await openPolicy(join(dir, `${name}.onnx`), { env: 'CartPole-v1', runtime, onLog: (line) => notes.push(line) });
      try {
        assert.equal(policy.info.output, 'q_values');
        assert.ok(notes.some((line) => new RegExp(`reading the Q-values '/net/net.4/Gemm_output_0' its ${via} takes`).test(line)), notes.join('\n'));
        assert.ok(worstRelative(await policy.qValues(states, count), readFloat32(join(dir, 'teacher.q.f32'))) <= 1e-5);
        const expected = torchActions(name);
        for (let s = 0; s < count; s++) assert.equal(await policy.act(states.subarray(s * 4, s * 4 + 4)), expected[s]);
      } finally {
        await policy.dispose();
      }
    });
  }
}

test('the js runtime refuses an actions-only file in one line', async () => {
  await assert.rejects(openPolicy(join(dir, 'table.onnx'), { env: 'CartPole-v1', runtime: 'js' }), (e: unknown) => e instanceof UsageError && /^the js runtime: output 'actions' gives actions only/.test(e.message));
});

test('an actions-only file that gives an action the env does not have is a one-line error, not a silent action 0', async () => {
  // obs → Gemm → ArgMax → Gather([0, 5]): action 5 on states where the second Q-value is larger.
  const graph = {
    name: 'bad-table',
    input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
    output: [tensorValueInfo('actions', DataType.INT64, ['batch'])],
    initializer: [float32Tensor('w', [2, 4], [1, 0, 0, 0, -1, 0, 0, 0]), int64Tensor('table', [2], [0, 5])],
    node: [
      makeNode('Gemm', ['obs', 'w'], ['q'], 'gemm', [{ name: 'transB', type: 2, i: 1 }]),
      makeNode('ArgMax', ['q'], ['index'], 'argmax', [{ name: 'axis', type: 2, i: 1 }, { name: 'keepdims', type: 2, i: 0 }]),
      makeNode('Gather', ['table', 'index'], ['actions'], 'lookup'),
    ],
  };
  const policy = await openPolicyBytes(encodeModel(makeModel({ graph, opset: 13 })), 'bad-table.onnx', { env: 'CartPole-v1' });
  try {
    assert.equal(await policy.act(Float32Array.of(1, 0, 0, 0)), 0);
    await assert.rejects(policy.act(Float32Array.of(-1, 0, 0, 0)), (e: unknown) => e instanceof UsageError && /output 'actions' gave an action outside 0\.\.1/.test(e.message));
  } finally {
    await policy.dispose();
  }
});

test('eval, bench, compare and record run an actions-only file through the CLI', () => {
  const file = join(dir, 'table.onnx');
  const evaluated = runCli(['eval', file, '--env', 'CartPole-v1', '--episodes', '3', '--json']);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.equal(JSON.parse(evaluated.stdout).mean, 500); // the CartPole teacher's actions
  const bench = runCli(['bench', file, '--env', 'CartPole-v1', '--runtime', 'ort-cpu', '--batch', '1,8', '--seconds', '0.05', '--json']);
  assert.equal(bench.status, 0, bench.stderr);
  const compared = runCli(['compare', file, join(dir, 'max-indices.onnx'), '--env', 'CartPole-v1', '--episodes', '2', '--runtime', 'ort-cpu', '--batch', '1', '--seconds', '0.05', '--out', join(dir, 'compare'), '--json']);
  assert.equal(compared.status, 0, compared.stderr);
  const report = JSON.parse(compared.stdout);
  // The same teacher behind both files: they agree on every state.
  assert.equal(report.models[1].agreement, 1, JSON.stringify(report.models[1]));
  const recorded = runCli(['record', file, '--env', 'CartPole-v1', '--episodes', '2', '--out', join(dir, 'demos.qdb'), '--json']);
  assert.equal(recorded.status, 0, recorded.stderr);
  assert.equal(JSON.parse(recorded.stdout).mean, 500);
  assert.deepEqual(ourLines(recorded.stderr), []);
});

test('serve answers an actions-only file with its own actions and q_values null (it computes none)', async () => {
  const { serve } = await import('../../src/pipelines/serve.js');
  const server = await serve({ models: [{ name: 'table', file: join(dir, 'table.onnx') }], env: 'CartPole-v1', port: 0, web: false });
  try {
    const count = 32;
    const observations = Array.from({ length: count }, (_, i) => Array.from(states.subarray(i * 4, i * 4 + 4)));
    const post = async (body: unknown) => {
      const response = await fetch(`${server.url}/v1/models/table:act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, 200);
      return (await response.json()) as Record<string, unknown>;
    };
    const batch = await post({ observations });
    assert.deepEqual(batch.actions, torchActions('table').slice(0, count));
    assert.equal(batch.q_values, null);
    const single = await post({ observation: observations[0] });
    assert.equal(single.action, torchActions('table')[0]);
    assert.equal(single.q_values, null);
  } finally {
    await server.close();
  }
});
