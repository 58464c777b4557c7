// `serve` over real HTTP on loopback: answers equal onnxruntime's (through openPolicy, ort-cpu) for the same
// observations, single, batched, nested and micro-batched; model descriptions; /metrics parsed as Prometheus
// text with counts equal to the requests made; SIGTERM on the real CLI with requests in flight.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { envSpec } from '../../src/envs/registry.js';
import { openPolicy } from '../../src/infer/open.js';
import { type Policy } from '../../src/infer/policy.js';
import { metadataOf } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/model.js';
import { createBatcher } from '../../src/serve/batcher.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/serve/server.js';
import { ROOT, startCli } from '../cli/run-cli.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import { argmax } from '../../src/policy/agreement.js';
import { visitedStates } from '../../src/rollout/visited-states.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const PYTORCH_MLP = 'models/pytorch/cartpole-v1-mlp.onnx';
const BREAKOUT = 'models/minatar-breakout/teacher.onnx';

function serve(models: ServeOptions['models'], overrides: Partial<ServeOptions> = {}): Promise<RunningServer> {
  return startServer({
    models,
    host: '127.0.0.1',
    port: 0,
    batching: { enabled: true, batchWindowUs: 200, maxBatch: 64 },
    maxRequestBatch: 256,
    ...overrides,
  });
}

async function act(url: string, name: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/v1/models/${name}:act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function metricsOf(url: string) {
  const response = await fetch(`${url}/metrics`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

const rows = (values: Float32Array, size: number) => Array.from({ length: values.length / size }, (_, i) => Array.from(values.subarray(i * size, (i + 1) * size)));

describe('serve: act answers equal onnxruntime', () => {
  let server: RunningServer;
  let student: Policy;
  let mlp: Policy;
  let states: number[][];

  before(async () => {
    server = await serve([{ name: 'student', file: STUDENT }, { name: 'mlp', file: PYTORCH_MLP }], { env: 'CartPole-v1' });
    student = await openPolicy(STUDENT);
    mlp = await openPolicy(PYTORCH_MLP, { env: 'CartPole-v1' });
    states = rows((await visitedStates(student, 40, 7)).observations, 4);
  });
  after(async () => {
    await server.close();
    await student.dispose();
    await mlp.dispose();
  });

  test('single observations: action and q_values', async () => {
    for (const [name, policy] of [['student', student], ['mlp', mlp]] as const) {
      for (const state of states.slice(0, 15)) {
        const { status, json } = await act(server.url, name, { observation: state });
        assert.equal(status, 200);
        const expected = await policy.qValues(Float32Array.from(state), 1);
        assert.deepEqual(json.q_values, Array.from(expected));
        assert.equal(json.action, argmax(expected));
      }
    }
  });

  test('a batch in one request', async () => {
    const { status, json } = await act(server.url, 'student', { observations: states });
    assert.equal(status, 200);
    const expected = await student.qValues(Float32Array.from(states.flat()), states.length);
    assert.deepEqual(json.q_values, rows(expected, 2));
    assert.deepEqual(json.actions, rows(expected, 2).map((q) => argmax(Float32Array.from(q))));
  });

  test('the default body limit takes a full --max-request-batch of full-precision numbers', async () => {
    const batch = Array.from({ length: 256 }, (_, i) => [-0.1234567890123456 - i, 0.9876543210987654, -1.2345678901234567e-7, 123.45678901234567]);
    const { status, json } = await act(server.url, 'student', { observations: batch });
    assert.equal(status, 200);
    assert.equal(json.actions.length, 256);
  });

  test('GET /v1/models and /v1/models/{name} describe the files', async () => {
    const list = await (await fetch(`${server.url}/v1/models`)).json();
    assert.deepEqual(list.models.map((m: { name: string }) => m.name), ['student', 'mlp']);
    const [first, second] = list.models;
    assert.deepEqual(first.env, envSpec('CartPole-v1'));
    const metadata = metadataOf(decodeModel(readFileSync(STUDENT), STUDENT));
    assert.equal(first.output, metadata['qdistill.output']);
    assert.deepEqual(first.card, JSON.parse(metadata['qdistill.card']));
    assert.equal(first.metadata['qdistill.env'], metadata['qdistill.env']);
    assert.equal(second.card, null, 'the PyTorch export has no card');
    assert.equal(second.env.id, 'CartPole-v1');
    assert.deepEqual(await (await fetch(`${server.url}/v1/models/mlp`)).json(), second);
    assert.equal((await fetch(`${server.url}/v1/models/nope`)).status, 404);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const index = await (await fetch(`${server.url}/`)).text();
    assert.match(index, /href="\/v1\/models\/student"/);
  });
});

describe('serve: image observations', () => {
  test('MinAtar Breakout, flat HWC and nested [10][10][4] give onnxruntime\'s answer', async () => {
    const server = await serve([{ name: 'breakout', file: BREAKOUT }], { batching: { enabled: false, batchWindowUs: 0, maxBatch: 1 } });
    const policy = await openPolicy(BREAKOUT);
    try {
      const states = rows((await visitedStates(policy, 6, 3)).observations, 400);
      const expected = rows(await policy.qValues(Float32Array.from(states.flat()), states.length), 3);
      for (const [i, state] of states.entries()) {
        const nested = Array.from({ length: 10 }, (_, y) => Array.from({ length: 10 }, (_, x) => state.slice((y * 10 + x) * 4, (y * 10 + x + 1) * 4)));
        const flat = await act(server.url, 'breakout', { observation: state });
        const deep = await act(server.url, 'breakout', { observation: nested });
        assert.equal(flat.status, 200);
        assert.deepEqual(flat.json.q_values, expected[i]);
        assert.deepEqual(deep.json, flat.json);
      }
      const wrong = await act(server.url, 'breakout', { observation: [[1, 2]] });
      assert.equal(wrong.status, 400);
      assert.match(wrong.json.error, /observation has 1 values; MinAtar\/Breakout needs 400/);
    } finally {
      await server.close();
      await policy.dispose();
    }
  });
});

describe('serve: --body-limit', () => {
  test('a body over the limit gets 413 naming the limit; one under it is answered', async () => {
    const server = await serve([{ name: 'student', file: STUDENT }], { bodyLimit: 200 });
    try {
      const small = await act(server.url, 'student', { observation: [0.1, 0.2, 0.3, 0.4] });
      assert.equal(small.status, 200);
      const large = await act(server.url, 'student', { observations: Array(20).fill([0.1, 0.2, 0.3, 0.4]) });
      assert.equal(large.status, 413);
      assert.equal(large.json.error, "the body is larger than this server's limit of 200 bytes");
    } finally {
      await server.close();
    }
  });
});

describe('serve: /metrics', () => {
  test('counts equal the requests made, and the text parses as Prometheus exposition', async () => {
    const server = await serve([{ name: 'student', file: STUDENT }], { batching: { enabled: false, batchWindowUs: 0, maxBatch: 1 } });
    try {
      const observation = [0.01, -0.02, 0.03, 0.04];
      for (let i = 0; i < 7; i++) assert.equal((await act(server.url, 'student', { observation })).status, 200);
      for (const size of [2, 3, 4]) assert.equal((await act(server.url, 'student', { observations: Array(size).fill(observation) })).status, 200);
      const invalid = [{ observation: [1, 2, 3] }, { observation: ['1', 2, 3, 4] }, { observations: [] }, { nope: 1 }];
      for (const body of invalid) assert.equal((await act(server.url, 'student', body)).status, 400);
      assert.equal((await act(server.url, 'other', { observation })).status, 404);

      const m = await metricsOf(server.url);
      assert.equal(m.types.get('qdistill_requests_total'), 'counter');
      assert.equal(m.types.get('qdistill_request_duration_seconds'), 'histogram');
      assert.equal(sampleValue(m, 'qdistill_requests_total', { model: 'student', status: '200' }), 10);
      assert.equal(sampleValue(m, 'qdistill_requests_total', { model: 'student', status: '400' }), 4);
      assert.equal(sampleValue(m, 'qdistill_errors_total', { model: 'student', kind: 'invalid' }), 4);
      assert.equal(sampleValue(m, 'qdistill_observations_total', { model: 'student' }), 7 + 2 + 3 + 4);
      assert.equal(sampleValue(m, 'qdistill_inferences_total', { model: 'student' }), 10);
      assert.equal(sampleValue(m, 'qdistill_batch_size_count', { model: 'student' }), 10);
      assert.equal(sampleValue(m, 'qdistill_batch_size_sum', { model: 'student' }), 16);
      assert.equal(sampleValue(m, 'qdistill_batch_size_bucket', { model: 'student', le: '1' }), 7);
      assert.equal(sampleValue(m, 'qdistill_request_duration_seconds_count', { model: 'student' }), 14);
      // The unknown model is counted by route, never as a model label.
      assert.equal(m.samples.some((s) => s.labels.model === 'other'), false);
      assert.equal(sampleValue(m, 'qdistill_http_responses_total', { route: '/v1/models/:target', status: '404' }), 1);
      assert.ok(sampleValue(m, 'process_resident_memory_bytes') > 0);
    } finally {
      await server.close();
    }
  });
});

describe('serve: micro-batching', () => {
  let policy: Policy;
  let states: number[][];
  before(async () => {
    policy = await openPolicy(STUDENT);
    states = rows((await visitedStates(policy, 32, 11)).observations, 4);
  });
  after(() => policy.dispose());

  // Windows under 1 ms poll the clock instead of a timer: there the answers are checked, not the batching.
  for (const [batchWindowUs, maxBatch] of [[10_000, 64], [10_000, 8], [300, 64]]) {
    test(`32 concurrent requests, window ${batchWindowUs} µs, max batch ${maxBatch}: answers equal unbatched ones`, async () => {
      const server = await serve([{ name: 'student', file: STUDENT }], { batching: { enabled: true, batchWindowUs, maxBatch } });
      try {
        // Open the connections first, so that the 32 act requests are written at nearly the same time.
        await Promise.all(states.map(() => fetch(`${server.url}/healthz`).then((r) => r.text())));
        const answers = await Promise.all(states.map((observation) => act(server.url, 'student', { observation })));
        for (const [i, { status, json }] of answers.entries()) {
          assert.equal(status, 200);
          const alone = await policy.qValues(Float32Array.from(states[i]), 1);
          assert.equal(json.action, argmax(alone));
          // Rows of a batched Gemm may be summed in another order than a single row; allow float32 rounding.
          json.q_values.forEach((q: number, k: number) => assert.ok(Math.abs(q - alone[k]) <= 1e-6 * Math.max(1, Math.abs(alone[k])), `${q} vs ${alone[k]}`));
        }
        const m = await metricsOf(server.url);
        const inferences = sampleValue(m, 'qdistill_inferences_total', { model: 'student' });
        if (batchWindowUs >= 1000) assert.ok(inferences < 32, `${inferences} inference calls for 32 requests`);
        assert.equal(sampleValue(m, 'qdistill_batch_size_sum', { model: 'student' }), 32);
        assert.equal(sampleValue(m, 'qdistill_batch_size_count', { model: 'student' }), inferences);
        if (maxBatch === 8) assert.equal(sampleValue(m, 'qdistill_batch_size_bucket', { model: 'student', le: '8' }), inferences);
      } finally {
        await server.close();
      }
    });
  }

  test('a failed inference call rejects only the requests batched into it', async () => {
    // The policy is real; the wrapper fails every call that holds the marked observation.
    const infer = (observations: Float32Array, count: number) =>
      observations.includes(999) ? Promise.reject(new Error('marked batch')) : policy.qValues(observations, count);
    const batcher = createBatcher(infer, { observationSize: 4, outputSize: 2, batchWindowUs: 5_000, maxBatch: 4 });
    const marked = Float32Array.from([999, 0, 0, 0]);
    const submissions = states.slice(0, 8).map((s, i) => batcher.submit(i === 1 ? marked : Float32Array.from(s), 1));
    const settled = await Promise.allSettled(submissions);
    // maxBatch 4: requests 0–3 form the first call (with the marked one), 4–7 the second.
    assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    for (const i of [4, 5, 6, 7]) {
      const value = (settled[i] as PromiseFulfilledResult<Float32Array>).value;
      assert.deepEqual(Array.from(value), Array.from(await policy.qValues(Float32Array.from(states[i]), 1)));
    }
  });
});

/** The built CLI (bin/qdistill) when dist/ is newer than the serve sources, else the same CLI through tsx. */
function startServeCli(args: string[]): ChildProcess {
  const built = join(ROOT, 'dist/cli/serve.js');
  const sources = ['src/cli/serve.ts', 'src/serve/app.ts', 'src/serve/batcher.ts', 'src/serve/server.ts', 'src/serve/models.ts', 'src/serve/validate.ts'];
  const fresh = existsSync(built) && sources.every((s) => statSync(join(ROOT, s)).mtimeMs <= statSync(built).mtimeMs);
  // In this process: the workers have test/serve/workers.test.ts.
  if (!fresh) return startCli(['serve', '--workers', '1', ...args]);
  return spawn(process.execPath, [join(ROOT, 'bin/qdistill'), 'serve', '--workers', '1', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
}

describe('serve: the CLI', () => {
  test('SIGTERM with requests in flight: they complete, later ones are refused, exit code 0', async () => {
    // A 1.5 s batching window keeps the requests in flight while the signal arrives.
    const child = startServeCli([STUDENT, '--port', '0', '--no-web', '--json', '--batch-window-us', '1500000']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const { url, models } = JSON.parse(await firstLine(child));
    assert.equal(models[0].name, 'student');
    const observation = [0.01, 0.02, -0.03, 0.04];
    const inFlight = Array.from({ length: 5 }, () => act(url, 'student', { observation }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // While it drains, a request on a new connection is refused (connection refused, or 503 from fastify).
    const late = await fetch(`${url}/healthz`, { headers: { connection: 'close' } }).then((r) => r.status, () => 'refused');
    assert.ok(late === 'refused' || late === 503, `late request got ${late}`);
    const answers = await Promise.all(inFlight);
    const policy = await openPolicy(STUDENT);
    const expected = Array.from(await policy.qValues(Float32Array.from(observation), 1));
    await policy.dispose();
    for (const { status, json } of answers) {
      assert.equal(status, 200);
      assert.deepEqual(json.q_values, expected);
    }
    assert.equal(await exited, 0);
    await assert.rejects(fetch(`${url}/healthz`), 'the port is closed after exit');
  });

  test('bad arguments end with one line and exit code 2', async () => {
    const cases = [['models/nope.onnx', '--port', '0'], [STUDENT, `student=${STUDENT}`, '--port', '0'], [STUDENT, '--port', '70000']];
    await Promise.all(cases.map(async (args) => {
      const child = startServeCli([...args, '--no-web']);
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /^qdistill: [^\n]+\n$/);
    }));
  });
});
