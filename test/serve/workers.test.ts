// `qdistill serve --workers 2` as a real CLI process on loopback: both workers listen on one port and serve
// the page the primary built, with the cross-origin isolation headers; a worker killed with SIGKILL is
// replaced (one line each on stderr) while requests on new connections keep getting onnxruntime's answer —
// killing the other original worker next leaves only the replacement to answer them; SIGTERM with requests in
// flight in the workers answers every one with a 200, refuses new connections and exits 0. A worker that
// cannot start (the port is taken) and a model file that cannot be read each end the start in one line,
// exit code 2.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ROOT } from '../cli/run-cli.js';

const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const OBSERVATION = [0.01, 0.02, -0.03, 0.04];
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };

interface CliProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
  /** Resolves with the first stderr line matching `pattern` (from the start of the output). */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
}

const started: CliProcess[] = [];
after(() => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The built CLI when dist/ is newer than every source serve runs, else the sources through tsx. */
function cliCommand(): string[] {
  const built = join(ROOT, 'dist/cli/index.js');
  const sources = [...readdirSync(join(ROOT, 'src/serve')).map((f) => `src/serve/${f}`), 'src/cli/serve.ts', 'src/pipelines/serve.ts'];
  const fresh = existsSync(built) && sources.every((s) => statSync(join(ROOT, s)).mtimeMs <= statSync(join(ROOT, 'dist', s.slice(4).replace(/\.ts$/, '.js')), { throwIfNoEntry: false })?.mtimeMs!);
  return fresh ? [join(ROOT, 'bin/qdistill')] : ['--import', 'tsx', join(ROOT, 'src/cli/index.ts')];
}

function startServe(args: string[]): CliProcess {
  const { QDISTILL_AUTH_TOKEN: _token, ...env } = process.env;
  const child = spawn(process.execPath, [...cliCommand(), 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  const waiting: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    for (const w of [...waiting]) {
      const match = stderr.match(w.pattern);
      if (match) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(match);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const cli: CliProcess = {
    child,
    exited,
    stderr: () => stderr,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const match = stderr.match(pattern);
        if (match) return resolve(match);
        waiting.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before printing ${pattern}: ${stderr}`)));
      }),
  };
  started.push(cli);
  return cli;
}

function listening(cli: CliProcess): Promise<{ url: string; workers: { id: number; pid: number }[] }> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    cli.child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]));
    });
    void cli.exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${cli.stderr()}`)));
  });
}

/** One act request on a connection of its own (so that the primary deals it to a worker anew). */
function act(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const { port } = new URL(url);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/models/student:act', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let data = '';
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('serve --workers 2: one port, pages with isolation headers, a killed worker replaced without failing requests, SIGTERM drains the requests in flight, exit 0', { timeout: 90_000 }, async () => {
  // A long batching window keeps single observations in flight for the drain; a request of 8 fills a batch at once.
  const server = startServe([`student=${STUDENT}`, '--workers', '2', '--port', '0', '--json', '--runtime', 'js', '--batch-window-us', '1500000', '--max-batch', '8']);
  const { url, workers } = await listening(server);
  assert.equal(workers.length, 2);
  assert.ok(workers.every((w) => alive(w.pid) && w.pid !== server.child.pid));

  // The same port taken by another server: its workers cannot listen, and it says so in one line.
  const taken = startServe([STUDENT, '--workers', '2', '--port', new URL(url).port, '--no-web', '--runtime', 'js']);
  const unreadable = startServe(['models/no-such-model.onnx', '--workers', '2', '--port', '0', '--no-web']);

  const session = await ort.InferenceSession.create(readFileSync(join(ROOT, STUDENT)));
  const expected = Array.from((await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(OBSERVATION), [1, 4]) }))[session.outputNames[0]].data as Float32Array);
  await session.release();

  for (const path of ['/web/student/', '/web/student/index.html']) {
    const page = await fetch(`${url}${path}`);
    assert.equal(page.status, 200, path);
    assert.match(await page.text(), /<html/i);
    for (const [name, value] of Object.entries(ISOLATION)) assert.equal(page.headers.get(name), value, `${path}: ${name}`);
  }

  const eight = { observations: Array(8).fill(OBSERVATION) };
  const answered = async (count: number) => {
    const answers = await Promise.all(Array.from({ length: count }, () => act(url, eight)));
    for (const { status, json } of answers) {
      assert.equal(status, 200);
      assert.deepEqual(json.q_values[7], expected);
    }
  };
  await answered(4);
  let replacement = 0;
  for (const [i, victim] of workers.entries()) {
    process.kill(victim.pid, 'SIGKILL');
    await server.line(new RegExp(`worker ${victim.id} \\(pid ${victim.pid}\\) died \\(signal SIGKILL\\); starting another in [0-9.]+ s`, 'm'));
    // The primary knows it is gone: every new connection goes to a worker that is alive.
    await answered(4);
    const [, id, pid] = await nthListening(server, i + 1);
    replacement = Number(pid);
    assert.ok(Number(id) > 2 && alive(replacement), `worker ${id} (pid ${pid}) replaced worker ${victim.id}`);
  }
  // After the second kill only the first replacement was there to answer; now both replacements are.
  await answered(4);

  const code = await taken.exited;
  assert.equal(code, 2, taken.stderr());
  assert.match(taken.stderr(), /^qdistill: port \d+ on 127\.0\.0\.1 is already in use[^\n]*\n$/);
  assert.equal(await unreadable.exited, 2, unreadable.stderr());
  assert.match(unreadable.stderr(), /^qdistill: [^\n]*no-such-model\.onnx[^\n]*\n$/);

  // Requests in flight in the workers (each waits for its batching window) when SIGTERM comes.
  const inFlight = Array.from({ length: 6 }, () => act(url, { observation: OBSERVATION }));
  let settled = 0;
  for (const p of inFlight) void p.then(() => settled++, () => settled++);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(settled, 0, 'the requests are still waiting for their batch');
  server.child.kill('SIGTERM');
  await server.line(/SIGTERM, answering the requests already received/);
  for (const { status, json } of await Promise.all(inFlight)) {
    assert.equal(status, 200);
    assert.deepEqual(json.q_values, expected);
  }
  assert.equal(await server.exited, 0, server.stderr());
  assert.doesNotMatch(server.stderr(), /cut \d+ of/);
  await assert.rejects(fetch(`${url}/healthz`), 'the port is closed after exit');
  assert.ok(workers.every((w) => !alive(w.pid)) && !alive(replacement), 'no worker is left');
});

/** The n-th "worker N (pid P) listening" line. */
async function nthListening(cli: CliProcess, n: number): Promise<RegExpMatchArray> {
  const pattern = /^qdistill serve: worker (\d+) \(pid (\d+)\) listening$/gm;
  for (;;) {
    const matches = [...cli.stderr().matchAll(pattern)];
    if (matches.length >= n) return matches[n - 1];
    await cli.line(new RegExp(`(?:^qdistill serve: worker \\d+ \\(pid \\d+\\) listening$[\\s\\S]*){${n}}`, 'm'));
  }
}

test('serve --workers 2 with a gym: env named by --env, --python and --env-kwargs: every worker makes the env as the primary was told', { timeout: 90_000 }, async () => {
  const gym = `gym:${join(ROOT, 'test/gym/fixtures/cartpole_env.py')}:CartPole`;
  const server = startServe([`student=models/pytorch/cartpole-v1-mlp.onnx`, '--env', gym, '--python', '/usr/bin/python3', '--env-kwargs', '{"max_episode_steps": 7}', '--workers', '2', '--port', '0', '--json', '--no-web']);
  const { url, workers } = await listening(server);
  assert.equal(workers.length, 2);
  // New connections, so that both workers answer some of them.
  for (const { status, json } of await Promise.all(Array.from({ length: 6 }, () => act(url, { observation: OBSERVATION })))) {
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.q_values.length, 2);
  }
  // The worker's env has the time limit the primary was given (a worker making it with the defaults has none).
  for (let i = 0; i < 4; i++) {
    const models = (await (await fetch(`${url}/v1/models`, { headers: { connection: 'close' } })).json()) as { models: { env: { id: string; maxEpisodeSteps: number } }[] };
    assert.equal(models.models[0].env.id, gym);
    assert.equal(models.models[0].env.maxEpisodeSteps, 7);
  }
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0, server.stderr());
});
