// `qdistill serve` as a real process on loopback, spoken to over raw TCP: SIGTERM under keep-alive and
// pipelined load answers every request whose bytes were sent before the signal and exits 0, while a stalled
// upload is cut at --drain-timeout; header and body timeouts close trickling clients; a bad request in a
// pipeline costs only itself; an empty --host is refused and a host beyond loopback is announced; bearer
// tokens, the rate limit and --hide-cards. Three server processes in all, started at once and shared.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { openPolicy } from '../../src/infer/open.js';
import { metadataOf } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/model.js';
import { ROOT } from '../cli/run-cli.js';
import { getRequest, openConnection, postRequest, type RawConnection, type RawHttpResponse } from './raw-http.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const ACT = '/v1/models/student:act';
const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const OBSERVATION = [0.01, 0.02, -0.03, 0.04];
const ACT_BODY = JSON.stringify({ observation: OBSERVATION });

interface ServeProcess {
  child: ChildProcess;
  /** The --json listening line. */
  listening: Promise<{ url: string }>;
  exited: Promise<number | null>;
  stderr(): string;
}

const started: ServeProcess[] = [];
// A token in the environment of whoever runs the tests would turn auth on where a test does not expect it.
const { QDISTILL_AUTH_TOKEN: _ignored, ...inherited } = process.env;

function startServe(args: string[], env: Record<string, string> = {}): ServeProcess {
  // One process each: these servers test the in-process server (the workers have test/serve/workers.test.ts).
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', STUDENT, '--port', '0', '--json', '--workers', '1', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, ...env },
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<{ url: string }>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]));
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  listening.catch(() => {}); // a test that awaits it still sees the rejection
  const server = { child, listening, exited, stderr: () => stderr };
  started.push(server);
  return server;
}

after(() => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

// Started together, before any test runs: each costs a few seconds of start-up.
const loaded = startServe(['--no-web', '--batch-window-us', '20000', '--drain-timeout', '2']);
const guarded = startServe(['--batch-window-us', '20000', '--headers-timeout', '1', '--request-timeout', '2', '--keep-alive-timeout', '1', '--body-limit', '1000', '--hide-cards'], { QDISTILL_AUTH_TOKEN: TOKEN });
const exposed = startServe(['--no-web', '--host', '0.0.0.0', '--rate-limit', '0.2']);

let expectedQ: number[] | null = null;
async function expectedQValues(): Promise<number[]> {
  if (!expectedQ) {
    const policy = await openPolicy(STUDENT);
    expectedQ = Array.from(await policy.qValues(Float32Array.from(OBSERVATION), 1));
    await policy.dispose();
  }
  return expectedQ;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serve: SIGTERM drains (the CLI)', () => {
  test('under keep-alive and pipelined load every request sent before the signal gets its 200; a stalled upload is cut at --drain-timeout; exit 0', async () => {
    const { url } = await loaded.listening;
    const expected = await expectedQValues();
    interface Sent { sentBeforeSignal: boolean; response?: RawHttpResponse }
    const sent: Sent[] = [];
    let signalled = false;
    let answered = 0;

    // A client that declared 100 bytes of body and sent 4.
    const stalled = await openConnection(url);
    await stalled.write(`POST ${ACT} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ob`);

    // Three connections send one request at a time, three send bursts of four in one write; each goes on
    // until the server closes it or its last answer says Connection: close.
    const connections = await Promise.all(Array.from({ length: 6 }, () => openConnection(url)));
    const loops = connections.map(async (connection, i) => {
      const burst = i % 2 === 0 ? 1 : 4;
      for (;;) {
        const batch: Sent[] = Array.from({ length: burst }, () => ({ sentBeforeSignal: false }));
        sent.push(...batch);
        const before = connection.responses.length;
        try {
          await connection.write(postRequest(ACT, ACT_BODY).repeat(burst));
        } catch {
          return; // the server closed it
        }
        if (!signalled) for (const s of batch) s.sentBeforeSignal = true;
        let responses: RawHttpResponse[];
        try {
          responses = await connection.responsesUpTo(before + burst);
        } catch {
          batch.forEach((s, k) => (s.response = connection.responses[before + k]));
          return;
        }
        batch.forEach((s, k) => (s.response = responses[before + k]));
        answered += burst;
        if (responses.at(-1)!.headers.connection === 'close') return;
      }
    });

    // A request whose headers came before the signal and whose body ends after the grace period: it is in
    // flight when answers start to close their connections.
    const late = await openConnection(url);
    await late.write(`POST ${ACT} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${ACT_BODY.length}\r\n\r\n`);

    while (answered < 60) await delay(5);
    // With a 20 ms batching window, requests are in flight on several connections at this moment.
    signalled = true;
    const signalledAt = Date.now();
    loaded.child.kill('SIGTERM');
    for (const byte of ACT_BODY) {
      await late.write(byte);
      await delay(300 / ACT_BODY.length);
    }
    await Promise.all(loops);
    const code = await loaded.exited;
    const exitAfterMs = Date.now() - signalledAt;
    await Promise.all([stalled.closed, late.closed]);

    assert.equal(code, 0, loaded.stderr());
    const before = sent.filter((s) => s.sentBeforeSignal);
    assert.ok(before.length >= 60, `${before.length} requests sent before the signal`);
    for (const [i, s] of before.entries()) {
      assert.ok(s.response, `request ${i} of ${before.length} sent before the signal got no answer`);
      assert.equal(s.response.status, 200, s.response.body);
      assert.deepEqual(JSON.parse(s.response.body).q_values, expected);
    }
    // Requests written after the signal may be answered or not; an answer is always whole and a 200.
    for (const s of sent.filter((x) => x.response)) assert.equal(s.response!.status, 200);
    for (const connection of connections) assert.equal(connection.leftover(), '', 'no answer was cut short');
    assert.deepEqual(late.responses.map((r) => [r.status, r.headers.connection]), [[200, 'close']], 'the request in flight is answered, with Connection: close');
    assert.deepEqual(stalled.responses, [], 'the stalled upload is cut, not answered');
    assert.ok(exitAfterMs < 2_000 + 10_000, `exited ${exitAfterMs} ms after SIGTERM with --drain-timeout 2`);
    assert.match(loaded.stderr(), /^qdistill serve: cut [1-8] of 8 connections with a request unanswered or still arriving$/m);
    // No new connections once draining.
    await assert.rejects(openConnection(url));
  });
});

describe('serve: timeouts, pipelining and the bearer token (one CLI server)', () => {
  test('a trickled header and a trickled body get 408 and are closed; an idle keep-alive connection is closed', async () => {
    const { url } = await guarded.listening;
    const trickle = async (connection: RawConnection, bytes: string) => {
      for (const byte of bytes) {
        if (connection.isClosed()) return;
        await connection.write(byte).catch(() => {});
        await delay(150);
      }
    };
    const slowHeaders = await openConnection(url);
    const slowBody = await openConnection(url);
    const idle = await openConnection(url);
    await slowBody.write(`POST ${ACT} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${ACT_BODY.length}\r\n\r\n`);
    await idle.write(getRequest('/healthz'));
    await Promise.all([
      trickle(slowHeaders, `GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ${'x'.repeat(60)}\r\n\r\n`),
      trickle(slowBody, ACT_BODY),
      idle.closed,
    ]);
    await Promise.all([slowHeaders.closed, slowBody.closed]);
    for (const connection of [slowHeaders, slowBody]) {
      assert.deepEqual(connection.responses.map((r) => r.status), [408]);
      assert.match(JSON.parse(connection.responses[0].body).error, /did not arrive in time/);
    }
    assert.deepEqual(idle.responses.map((r) => r.status), [200], 'the idle connection was closed without another answer');
  });

  test('a bad request in a pipeline: the answers before it are written, it gets its 4xx, the ones after it are answered when its body could be read', async () => {
    const { url } = await guarded.listening;
    const expected = await expectedQValues();
    const good = postRequest(ACT, ACT_BODY, AUTH);
    const cases: { name: string; bad: string; statuses: number[]; closed: boolean }[] = [
      { name: 'invalid JSON', bad: postRequest(ACT, '{"observation": [0.1,', AUTH), statuses: [200, 400, 200], closed: false },
      { name: 'a body over --body-limit, read and dropped', bad: postRequest(ACT, JSON.stringify({ observations: Array(100).fill(OBSERVATION) }), AUTH), statuses: [200, 413, 200], closed: false },
      { name: 'no token', bad: postRequest(ACT, ACT_BODY), statuses: [200, 401, 200], closed: false },
      { name: 'not HTTP', bad: 'GARBAGE\r\n\r\n', statuses: [200, 400], closed: true },
      { name: 'a declared 5 MiB body', bad: `POST ${ACT} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n{"observation"`, statuses: [200, 413], closed: true },
    ];
    await Promise.all(cases.map(async ({ name, bad, statuses, closed }) => {
      const connection = await openConnection(url);
      // Two good requests before the bad one, in the same write: they are still in the 20 ms batching window when it arrives.
      await connection.write(good + good + bad + good);
      const all = [200, ...statuses];
      const responses = await connection.responsesUpTo(all.length);
      assert.deepEqual(responses.map((r) => r.status), all, name);
      for (const [i, r] of responses.entries()) if (r.status === 200) assert.deepEqual(JSON.parse(r.body).q_values, expected, `${name}: answer ${i}`);
      assert.deepEqual(Object.keys(JSON.parse(responses[2].body)), ['error'], name);
      if (closed) {
        await connection.closed;
        assert.equal(responses[2].headers.connection, 'close', name);
        assert.equal(connection.responses.length, all.length, `${name}: nothing after the answer that closed`);
      } else {
        assert.equal(connection.isClosed(), false, `${name}: the connection stays usable`);
        await connection.write(good);
        assert.equal((await connection.responsesUpTo(all.length + 1)).at(-1)!.status, 200, name);
        connection.close();
      }
    }));
  });

  test('the bearer token: 401 with WWW-Authenticate: Bearer without it or with a wrong one, 200 with it; /healthz stays open and names no models', async () => {
    const { url } = await guarded.listening;
    const none = await fetch(`${url}/v1/models`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="qdistill"');
    const wrong = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    assert.deepEqual(Object.keys(await wrong.json()), ['error']);
    for (const path of ['/metrics', '/', '/v1/models/student', '/web/student/', '/nothing-here']) {
      assert.equal((await fetch(`${url}${path}`)).status, 401, path);
    }
    const act = await fetch(`${url}${ACT}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: ACT_BODY });
    assert.equal(act.status, 200);
    assert.deepEqual((await act.json()).q_values, await expectedQValues());
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  test('--hide-cards: no card in /v1/models, /v1/models/{name} or the page', async () => {
    const { url } = await guarded.listening;
    assert.ok(metadataOf(decodeModel(readFileSync(`${ROOT}/${STUDENT}`)))['qdistill.card'], 'the file itself has a card');
    const list = await (await fetch(`${url}/v1/models`, { headers: AUTH })).json();
    assert.equal(list.models[0].name, 'student');
    assert.equal('card' in list.models[0], false);
    assert.equal('qdistill.card' in list.models[0].metadata, false);
    const one = await (await fetch(`${url}/v1/models/student`, { headers: AUTH })).json();
    assert.equal('card' in one, false);
    // The page: its text never holds the card's command line or machine; a page that ships the model file
    // (the onnxruntime pages; the default js page compiles it in) ships it without the card.
    const card = JSON.parse(metadataOf(decodeModel(readFileSync(`${ROOT}/${STUDENT}`)))['qdistill.card']);
    const index = await fetch(`${url}/web/student/`, { headers: AUTH });
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.ok(!html.includes(card.command) && !html.includes(card.machine), 'the page holds no card');
    const file = await fetch(`${url}/web/student/model.onnx`, { headers: AUTH });
    if (file.status === 200) {
      const metadata = metadataOf(decodeModel(new Uint8Array(await file.arrayBuffer())));
      assert.equal(metadata['qdistill.card'], undefined);
      assert.equal(metadata['qdistill.env'], 'CartPole-v1');
    } else {
      assert.equal(file.status, 404);
    }
  });
});

describe('serve: the host and the rate limit', () => {
  test('an empty --host, a short token, an empty QDISTILL_AUTH_TOKEN or a request timeout below the headers timeout: one line and exit code 2', async () => {
    // The CLI's main() in this process: each refusal comes before any model is opened or port taken.
    const cases: [string[], Record<string, string>][] = [
      [['--host', ''], {}],
      [['--host', '  '], {}],
      [['--auth-token', 'short'], {}],
      [['--auth-token', `${TOKEN} x`], {}],
      [[], { QDISTILL_AUTH_TOKEN: '' }],
      [['--request-timeout', '1', '--headers-timeout', '2'], {}],
    ];
    for (const [args, env] of cases) {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      let stderr = '';
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
      let code: number;
      try {
        code = await main(['serve', STUDENT, '--no-web', '--port', '0', ...args]);
      } finally {
        process.stderr.write = write;
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      const label = `${args.join(' ')} ${JSON.stringify(env)}`;
      assert.equal(code, 2, `${label}: ${stderr}`);
      assert.match(stderr, /^qdistill: [^\n]+\n$/, label);
      assert.ok(!stderr.includes(TOKEN) && !stderr.includes('short'), `${label}: the message does not repeat the token`);
    }
  });

  test('--host 0.0.0.0 prints one warning (reachable from other machines, auth off); the loopback server printed none', async () => {
    await exposed.listening;
    await guarded.listening;
    assert.match(exposed.stderr(), /^qdistill serve: warning: listening on 0\.0\.0\.0 \(0\.0\.0\.0\), reachable from other machines; auth is off[^\n]*$/m);
    assert.equal((exposed.stderr().match(/warning/g) ?? []).length, 1);
    assert.doesNotMatch(guarded.stderr(), /warning/);
  });

  test('--rate-limit 0.2: a second request within 5 s gets 429 with Retry-After; another client address is not held back; /healthz is not limited', async () => {
    const { url } = await exposed.listening;
    const port = new URL(url).port;
    const get = (path: string, localAddress: string) =>
      new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal((await get('/v1/models', '127.0.0.1')).status, 200);
    const limited = await get('/v1/models', '127.0.0.1');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= 5, `Retry-After: ${limited.retryAfter}`);
    assert.match(JSON.parse(limited.body).error, /too many requests/);
    assert.equal((await get('/v1/models', '127.0.0.2')).status, 200, 'each client address has its own bucket');
    for (let i = 0; i < 3; i++) assert.equal((await get('/healthz', '127.0.0.1')).status, 200);
  });

  test('the idle servers exit 0 on SIGTERM', async () => {
    for (const server of [guarded, exposed]) {
      await server.listening;
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0, server.stderr());
    }
  });
});
