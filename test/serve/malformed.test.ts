// Hundreds of malformed requests (broken JSON, wrong lengths, non-finite numbers, strings, nested lists,
// a 10 MB body, wrong content types, unknown paths, '..' and %2e%2e traversal) against a server with a
// web page mounted: every one gets its 4xx and a JSON error, nothing outside the static root is served,
// and afterwards the server still answers correctly.
import { exportWeb } from '../../src/export/index.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPolicy } from '../../src/infer/open.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { malformedRequests, sendRaw, type MalformedRequest } from './malformed-requests.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const SENTINEL = 'qdistill-sentinel-outside-the-static-root';

describe('serve: malformed requests', () => {
  let server: RunningServer;
  let requests: MalformedRequest[];

  before(async () => {
    server = await startServer({
      models: [{ name: 'student', file: STUDENT }],
      host: '127.0.0.1',
      port: 0,
      batching: { enabled: true, batchWindowUs: 200, maxBatch: 64 },
      maxRequestBatch: 64,
      webPages: ({ file, env, out }) => exportWeb({ model: file, env, out }),
    });
    // A file next to the page's folder: reachable only by leaving the static root.
    const siteRoot = server.webRoots.get('student');
    assert.ok(siteRoot, 'the page was built');
    writeFileSync(join(dirname(siteRoot), 'secret.txt'), SENTINEL);
    requests = malformedRequests({ model: 'student', observationSize: 4, webModel: 'student', maxRequestBatch: 64 });
    for (const path of ['/web/student/../secret.txt', '/web/student/%2e%2e/secret.txt', '/web/student/%2E%2E%2Fsecret.txt', '/web/student/..%2fsecret.txt']) {
      requests.push({ kind: 'traversal', method: 'GET', path, headers: {}, expect: [400, 403, 404] });
    }
  });
  after(() => server.close());

  test('the page itself is served', async () => {
    const page = await sendRaw(server.url, { method: 'GET', path: '/web/student/', headers: {} });
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    const redirect = await sendRaw(server.url, { method: 'GET', path: '/web/student', headers: {} });
    assert.equal(redirect.status, 301);
  });

  test('every malformed request gets its 4xx with a JSON error; nothing outside the root leaks', async () => {
    assert.ok(requests.length >= 300, `${requests.length} requests`);
    const byKind: Record<string, number> = {};
    for (const request of requests) {
      const { status, body } = await sendRaw(server.url, request);
      const label = `${request.kind} ${request.method} ${request.path.slice(0, 80)} ${String(request.body ?? '').slice(0, 80)}`;
      assert.ok(request.expect.includes(status), `${label}: got ${status} ${body.slice(0, 200)}`);
      const json = JSON.parse(body);
      assert.deepEqual(Object.keys(json), ['error'], `${label}: ${body.slice(0, 200)}`);
      assert.equal(typeof json.error, 'string');
      assert.ok(!body.includes(SENTINEL) && !body.includes('root:x:0') && !body.includes('"name": "qdistill"'), `${label} leaked a file`);
      byKind[request.kind] = (byKind[request.kind] ?? 0) + 1;
    }
    assert.deepEqual(Object.keys(byKind).sort(), ['bad-body', 'broken-json', 'content-type', 'too-large', 'traversal', 'unknown-path']);
  });

  test('messages say exactly what is wrong', async () => {
    const cases: [unknown, string][] = [
      [{ observation: [1, 2, 3] }, 'observation has 3 values; CartPole-v1 needs 4'],
      [{ observation: [1, 2, 'x', 4] }, 'observation[2] is not a finite number'],
      [{ observations: [[1, 2, 3, 4], [1, 2, 3, null]] }, 'observations[1][3] is not a finite number'],
      [{ observations: Array(65).fill([1, 2, 3, 4]) }, '"observations" has 65 entries; this server takes at most 64 per request'],
    ];
    for (const [body, message] of cases) {
      const response = await sendRaw(server.url, { method: 'POST', path: '/v1/models/student:act', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, 400);
      assert.equal(JSON.parse(response.body).error, message);
    }
    const infinity = await sendRaw(server.url, { method: 'POST', path: '/v1/models/student:act', headers: { 'content-type': 'application/json' }, body: '{"observation": [1e999, 0, 0, 0]}' });
    assert.equal(JSON.parse(infinity.body).error, 'observation[0] is not a finite number');
  });

  test('afterwards /healthz answers, act is still right, and /metrics counted every act request', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const observation = [0.02, -0.01, 0.03, 0.01];
    const response = await fetch(`${server.url}/v1/models/student:act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ observation }) });
    const policy = await openPolicy(STUDENT);
    assert.deepEqual((await response.json()).q_values, Array.from(await policy.qValues(Float32Array.from(observation), 1)));
    await policy.dispose();

    const metrics = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    const actRequests = requests.filter((r) => r.method === 'POST' && r.path === '/v1/models/student:act').length;
    const counted = metrics.samples.filter((s) => s.name === 'qdistill_requests_total' && s.labels.model === 'student');
    const ok = sampleValue(metrics, 'qdistill_requests_total', { model: 'student', status: '200' });
    // Every malformed act request, plus the 5 of 'messages say exactly…' and the one valid request above.
    assert.equal(counted.reduce((sum, s) => sum + s.value, 0), actRequests + 5 + 1);
    assert.equal(ok, 1);
    assert.ok(sampleValue(metrics, 'qdistill_requests_total', { model: 'student', status: '413' }) >= 2);
    assert.ok(sampleValue(metrics, 'qdistill_requests_total', { model: 'student', status: '415' }) >= 10);
  });
});
