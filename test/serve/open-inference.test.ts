// The Open Inference Protocol (KServe v2 / Triton's predict protocol v2, REST) on a real server on loopback,
// held to the protocol's documents: the health, server-metadata, model-metadata, model-ready and infer JSON
// objects with their fields, datatypes and -1 batch dimensions; tensors named as the ONNX graphs name them
// (read here with onnxruntime-node); infer answers equal to a bare onnxruntime-node session on the same
// observations, flat and nested, NCHW for a PyTorch CNN; `{"error": ...}` with 400 for a bad request and 404
// for an unknown model; the token, the rate limit and the request limits of /v1; and the cross-origin
// isolation headers on what the server sends, the fast path's answers, fastify's and the raw 400 included.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeEnv } from '../../src/envs/registry.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/serve/server.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import { openConnection } from './raw-http.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const PYTORCH_MLP = 'models/pytorch/cartpole-v1-mlp.onnx';
const PYTORCH_CNN = 'models/pytorch/minatar-breakout-cnn.onnx';
const TOKEN = 'v2-test-token-0123456789';

function serve(models: ServeOptions['models'], overrides: Partial<ServeOptions> = {}): Promise<RunningServer> {
  return startServer({ models, host: '127.0.0.1', port: 0, batching: { enabled: true, batchWindowUs: 200, maxBatch: 64 }, maxRequestBatch: 8, ...overrides });
}

async function call(url: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const init = body === undefined ? { headers } : { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
  const response = await fetch(`${url}${path}`, init);
  return { status: response.status, json: await response.json(), headers: response.headers };
}

/** The graph's own input and output names and outputs for `data` shaped `dims`, from a bare onnxruntime-node session. */
async function ortRun(file: string, data: Float32Array, dims: number[]): Promise<{ input: string; output: string; values: number[] }> {
  const session = await ort.InferenceSession.create(readFileSync(file));
  try {
    const [input] = session.inputNames;
    const [output] = session.outputNames;
    const result = await session.run({ [input]: new ort.Tensor('float32', data, dims) });
    return { input, output, values: Array.from(result[output].data as Float32Array) };
  } finally {
    await session.release();
  }
}

/** `count` observations an env visits under random actions, one after another. */
function states(env: string, count: number, seed: number): Float32Array {
  const e = makeEnv(env);
  const size = e.spec.observationShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * size);
  let observation = e.reset(seed);
  for (let i = 0; i < count; i++) {
    out.set(observation, i * size);
    const step = e.step((i * 7 + seed) % e.spec.actionCount);
    observation = step.terminated || step.truncated ? e.reset(seed + i + 1) : step.observation;
  }
  return out;
}

const argmaxRows = (values: number[], width: number) =>
  Array.from({ length: values.length / width }, (_, i) => {
    const row = values.slice(i * width, (i + 1) * width);
    return row.indexOf(Math.max(...row));
  });

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };

describe('serve: the Open Inference Protocol (v2)', () => {
  let server: RunningServer;
  // A file without metadata is served with --env, which applies to every model of a server: the CNN has its own.
  let images: RunningServer;
  before(async () => {
    [server, images] = await Promise.all([
      serve([{ name: 'student', file: STUDENT }, { name: 'mlp', file: PYTORCH_MLP }], { env: 'CartPole-v1' }),
      serve([{ name: 'cnn', file: PYTORCH_CNN }], { env: 'MinAtar/Breakout' }),
    ]);
  });
  after(() => Promise.all([server.close(), images.close()]));

  test('health, server metadata and model readiness answer the documented objects', async () => {
    assert.deepEqual(await call(server.url, '/v2/health/live').then((r) => [r.status, r.json]), [200, { live: true }]);
    assert.deepEqual(await call(server.url, '/v2/health/ready').then((r) => [r.status, r.json]), [200, { ready: true }]);
    const meta = await call(server.url, '/v2');
    assert.equal(meta.status, 200);
    assert.deepEqual(Object.keys(meta.json).sort(), ['extensions', 'name', 'version']);
    assert.equal(typeof meta.json.name, 'string');
    assert.equal(meta.json.version, JSON.parse(readFileSync('package.json', 'utf8')).version);
    assert.ok(Array.isArray(meta.json.extensions));
    for (const path of ['/v2/models/student/ready', '/v2/models/student/versions/1/ready']) {
      assert.deepEqual(await call(server.url, path).then((r) => [r.status, r.json]), [200, { name: 'student', ready: true }], path);
    }
  });

  test('model metadata: the graph\'s own tensor names, FP32, -1 for the batch, NCHW as the file takes it', async () => {
    const cases: [string, string, number[], number][] = [
      ['student', STUDENT, [-1, 4], 2],
      ['mlp', PYTORCH_MLP, [-1, 4], 2],
      ['cnn', PYTORCH_CNN, [-1, 4, 10, 10], 3],
    ];
    for (const [name, file, inputShape, actions] of cases) {
      const { input, output } = await ortRun(file, new Float32Array(inputShape.slice(1).reduce((a, b) => a * b, 1)), [1, ...inputShape.slice(1)]);
      const url = name === 'cnn' ? images.url : server.url;
      const { status, json } = await call(url, `/v2/models/${name}`);
      assert.equal(status, 200);
      assert.deepEqual(json, {
        name,
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: input, datatype: 'FP32', shape: inputShape }],
        outputs: [
          { name: output, datatype: 'FP32', shape: [-1, actions] },
          { name: 'action', datatype: 'INT64', shape: [-1] },
        ],
      });
      assert.deepEqual((await call(url, `/v2/models/${name}/versions/1`)).json, json);
    }
    assert.equal((await call(server.url, '/v2/models/mlp')).json.inputs[0].name, 'input', 'the PyTorch export names its input "input"');
  });

  test('infer, the documented request (id, flat data, outputs omitted): the answer is onnxruntime-node\'s, with the actions', async () => {
    const data = states('CartPole-v1', 5, 3);
    for (const [name, file] of [['student', STUDENT], ['mlp', PYTORCH_MLP]]) {
      const expected = await ortRun(file, data, [5, 4]);
      const { status, json, headers } = await call(server.url, `/v2/models/${name}/infer`, {
        id: '42',
        inputs: [{ name: expected.input, shape: [5, 4], datatype: 'FP32', data: Array.from(data) }],
      });
      assert.equal(status, 200, JSON.stringify(json));
      assert.match(headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(json, {
        model_name: name,
        model_version: '1',
        id: '42',
        outputs: [
          { name: expected.output, shape: [5, 2], datatype: 'FP32', data: expected.values },
          { name: 'action', shape: [5], datatype: 'INT64', data: argmaxRows(expected.values, 2) },
        ],
      });
    }
  });

  test('infer: nested data, the versioned URL, an outputs list, no id — and NCHW data for the PyTorch CNN', async () => {
    const data = states('CartPole-v1', 3, 5);
    const expected = await ortRun(STUDENT, data, [3, 4]);
    const nested = [0, 1, 2].map((i) => Array.from(data.subarray(i * 4, i * 4 + 4)));
    const { status, json } = await call(server.url, '/v2/models/student/versions/1/infer', {
      inputs: [{ name: expected.input, shape: [3, 4], datatype: 'FP32', data: nested, parameters: {} }],
      outputs: [{ name: 'action' }, { name: expected.output }],
      parameters: { note: 'ignored' },
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal('id' in json, false, 'no id asked, none echoed');
    assert.deepEqual(json.outputs.map((o: { name: string }) => o.name), ['action', expected.output], 'the order asked for');
    assert.deepEqual(json.outputs[1].data, expected.values);

    // The CNN takes [batch, 4, 10, 10]: a client sends what Triton would take for this file.
    const hwc = states('MinAtar/Breakout', 2, 1);
    const chw = new Float32Array(hwc.length);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 4; c++) for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) chw[n * 400 + (c * 10 + y) * 10 + x] = hwc[n * 400 + (y * 10 + x) * 4 + c];
    const cnn = await ortRun(PYTORCH_CNN, chw, [2, 4, 10, 10]);
    const answer = await call(images.url, '/v2/models/cnn/infer', { inputs: [{ name: cnn.input, shape: [2, 4, 10, 10], datatype: 'FP32', data: Array.from(chw) }] });
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    answer.json.outputs[0].data.forEach((q: number, i: number) => assert.ok(Math.abs(q - cnn.values[i]) <= 1e-5 * Math.max(1, Math.abs(cnn.values[i])), `${q} vs ${cnn.values[i]}`));
  });

  test('fastify\'s route (a query string keeps the request off the fast path) gives the same answer as the fast path', async () => {
    const body = { id: 'same', inputs: [{ name: 'obs', shape: [1, 4], datatype: 'FP32', data: [0.01, 0.02, -0.03, 0.04] }] };
    const fast = await call(server.url, '/v2/models/student/infer', body);
    const routed = await call(server.url, '/v2/models/student/infer?via=fastify', body);
    assert.equal(fast.status, 200);
    assert.deepEqual(routed.json, fast.json);
    const v1 = await call(server.url, '/v1/models/student:act?via=fastify', { observation: [0.01, 0.02, -0.03, 0.04] });
    assert.deepEqual(v1.json.q_values, fast.json.outputs[0].data);
  });

  test('errors are {"error": "..."}: 404 for an unknown model or version, 400 for a bad request', async () => {
    const ok = { name: 'obs', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] };
    const cases: [string, unknown, number, RegExp][] = [
      ['/v2/models/nope/infer', { inputs: [ok] }, 404, /no model named 'nope'/],
      ['/v2/models/student/versions/2/infer', { inputs: [ok] }, 404, /no version '2'/],
      ['/v2/models/student/infer', '{"inputs": [', 400, /not valid JSON/],
      ['/v2/models/student/infer', {}, 400, /"inputs"/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, name: 'input0' }] }, 400, /input is 'obs'/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, datatype: 'UINT32' }] }, 400, /is FP32/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, shape: [2, 2] }] }, 400, /takes \[-1, 4\]/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, shape: [2, 4] }] }, 400, /has 4 values; shape \[2, 4\] holds 8/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, data: [0, 0, 'x', 0] }] }, 400, /data\[2\] is not a finite number/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, data: [[0, 0], [0, 0]] }] }, 400, /^inputs\[0\]\.data is a list of 2, but axis 0 of shape \[1, 4\] has size 1$/],
      ['/v2/models/student/infer', { inputs: [{ ...ok, shape: [9, 4], data: Array(36).fill(0) }] }, 400, /at most 8 per request/],
      ['/v2/models/student/infer', { inputs: [ok], outputs: [{ name: 'output0' }] }, 400, /no output 'output0'/],
      ['/v2/models/student/infer', { inputs: [ok], outputs: [{ name: 'action', parameters: { binary_data: true } }] }, 400, /binary/],
      ['/v2/models/student/infer', { inputs: [ok], id: 42 }, 400, /"id" must be a string/],
      ['/v2/models/student/infer', { inputs: [ok], extra: 1 }, 400, /unknown field "extra"/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await call(server.url, path, body);
      assert.equal(r.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.deepEqual(Object.keys(r.json), ['error']);
      assert.match(r.json.error, message);
    }
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/student/versions/7']) {
      const r = await call(server.url, path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(Object.keys(r.json), ['error']);
    }
  });

  test('v2 infer requests are counted in /metrics with the act requests', async () => {
    const before = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    const ok = sampleValue(before, 'qdistill_requests_total', { model: 'mlp', status: '200' });
    await call(server.url, '/v2/models/mlp/infer', { inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: Array(8).fill(0.1) }] });
    const m = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    assert.equal(sampleValue(m, 'qdistill_requests_total', { model: 'mlp', status: '200' }), ok + 1);
    assert.equal(sampleValue(m, 'qdistill_observations_total', { model: 'mlp' }) - sampleValue(before, 'qdistill_observations_total', { model: 'mlp' }), 2);
  });

  test('cross-origin isolation headers on every answer: the fast path\'s, fastify\'s (404, metadata, metrics) and the raw 400 for bad HTTP', async () => {
    const answers = [
      await fetch(`${server.url}/v2/models/student/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'obs', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] }] }) }),
      await fetch(`${server.url}/v1/models/student:act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"observation": [1]}' }),
      await fetch(`${server.url}/v2/models/student`),
      await fetch(`${server.url}/nothing-here`),
      await fetch(`${server.url}/metrics`),
      await fetch(`${server.url}/`),
    ];
    for (const response of answers) {
      await response.arrayBuffer();
      for (const [name, value] of Object.entries(ISOLATION)) assert.equal(response.headers.get(name), value, `${response.url} ${response.status}: ${name}`);
    }
    const connection = await openConnection(server.url);
    await connection.write('NOT HTTP\r\n\r\n');
    const [raw] = await connection.responsesUpTo(1);
    assert.equal(raw.status, 400);
    for (const [name, value] of Object.entries(ISOLATION)) assert.equal(raw.headers[name], value, `raw 400: ${name}`);
    connection.close();
  });
});

describe('serve: v2 behind the token and the rate limit of /v1', () => {
  let server: RunningServer;
  before(async () => {
    server = await serve([{ name: 'student', file: STUDENT, runtime: 'js' }], { authToken: TOKEN, rateLimit: 1000 });
  });
  after(() => server.close());

  test('infer and metadata need the token (401); the v2 health probes do not', async () => {
    const body = { inputs: [{ name: 'obs', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] }] };
    for (const [path, payload] of [['/v2/models/student/infer', body], ['/v2/models/student', undefined], ['/v2', undefined], ['/v2/models/student/ready', undefined]] as const) {
      const r = await call(server.url, path, payload);
      assert.equal(r.status, 401, path);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="qdistill"');
      assert.deepEqual(Object.keys(r.json), ['error']);
    }
    assert.equal((await call(server.url, '/v2/models/student/infer', body, { authorization: `Bearer ${TOKEN}` })).status, 200);
    for (const path of ['/v2/health/live', '/v2/health/ready']) assert.equal((await call(server.url, path)).status, 200, path);
  });

  test('--rate-limit: infer past the bucket gets 429 with Retry-After; the probes are not counted', async () => {
    const limited = await serve([{ name: 'student', file: STUDENT, runtime: 'js' }], { rateLimit: 0.2 });
    try {
      const body = { inputs: [{ name: 'obs', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] }] };
      assert.equal((await call(limited.url, '/v2/models/student/infer', body)).status, 200);
      const second = await call(limited.url, '/v2/models/student/infer', body);
      assert.equal(second.status, 429);
      assert.ok(Number(second.headers.get('retry-after')) >= 1);
      assert.match(second.json.error, /too many requests/);
      for (let i = 0; i < 3; i++) assert.equal((await call(limited.url, '/v2/health/ready')).status, 200);
    } finally {
      await limited.close();
    }
  });
});
