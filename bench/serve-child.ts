// Servers for the serve benchmarks, each in its own child process so that the load generator (this
// process) and the server do not share an event loop: `qdistill serve` (the built CLI, as users run it), and a bare
// node:http server that does the least any real server must do for an act request — read the body,
// JSON.parse it, check the observation, run the same policy on the same runtime, JSON.stringify the answer —
// and nothing else (no routing, limits, metrics or batching). It is the ceiling for serve on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../test/support/build.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ChildServer {
  url: string;
  pid: number;
  /** The child's --json listening line (for serve: its models, workers, …). */
  listening: Record<string, unknown>;
  stop(): Promise<number | null>;
}

// Runs under --import tsx so that it can open the policy with the runtime serve uses (src/infer/open.ts).
const BARE_SERVER = `
import { createServer } from 'node:http';
const [file, runtime] = process.argv.slice(-2);
const { openPolicy } = await import(${JSON.stringify(`${ROOT}src/infer/open.ts`)});
const policy = await openPolicy(file, { runtime });
const size = policy.spec.observationShape.reduce((a, b) => a * b, 1);
const actions = policy.spec.actionCount;
function answer(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    let observation;
    try {
      observation = JSON.parse(Buffer.concat(chunks).toString('utf8')).observation;
    } catch {
      return answer(res, 400, { error: 'the body is not valid JSON' });
    }
    if (!Array.isArray(observation) || observation.length !== size || !observation.every(Number.isFinite)) return answer(res, 400, { error: 'bad observation' });
    const q = await policy.qValues(Float32Array.from(observation), 1);
    let best = 0;
    for (let i = 1; i < actions; i++) if (q[i] > q[best]) best = i;
    answer(res, 200, { action: best, q_values: Array.from(q) });
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** The bare node:http server with `file` opened on `runtime` (it answers POST with any path). */
export function startBareServer(file: string, runtime: string): Promise<ChildServer> {
  return started(spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BARE_SERVER, file, runtime], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
}

let entry: string[] | null = null;

/**
 * How serve runs: the build (dist/, rebuilt first when a source is newer, as the tests do), else — when the
 * sources do not build right now — the sources through tsx, which adds a little to every closure made.
 */
export function serveEntry(): string[] {
  if (!entry) {
    try {
      ensureBuilt();
      entry = ['bin/qdistill'];
    } catch (error) {
      process.stderr.write(`serve-child: the build failed, running serve from the sources through tsx (${String(error).split('\n')[0]})\n`);
      entry = ['--import', 'tsx', 'src/cli/index.ts'];
    }
  }
  return entry;
}

/** `qdistill serve` (see serveEntry) with `--json --port 0` appended; `nodeArgs` go to node (and to its workers). */
export function startServeCli(args: string[], nodeArgs: string[] = []): Promise<ChildServer> {
  return started(spawn(process.execPath, [...nodeArgs, ...serveEntry(), 'serve', ...args, '--json', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** Node flags that make the child collect garbage on SIGUSR2, so that memory is read after a full GC. */
export const GC_ON_SIGUSR2 = ['--expose-gc', '--import', 'data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc())'];

function started(child: ChildProcess): Promise<ChildServer> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk) => {
      text += chunk;
      if (!text.includes('\n')) return;
      const listening = JSON.parse(text.split('\n')[0]) as { url: string };
      resolve({
        url: listening.url,
        pid: child.pid!,
        listening,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

/** One sample's value from a Prometheus text page (first match). */
export function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}
