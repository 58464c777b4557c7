// Load on loopback with autocannon (in this process) against servers in child processes, single-observation
// requests for the CartPole 16-16 student (or --model) on the js runtime (or --runtime), the same connection
// count for all:
//   bare                 a node:http server that reads the body, JSON.parses it, runs the same policy on the same
//                        runtime and JSON.stringifies the answer (serve-child.ts): the ceiling for one process
//   serve --workers 1    micro-batching (the default 200 µs window), in one process
//   serve --workers 1 --no-batching
//   serve --workers 1, v2 the same, POST /v2/models/student/infer with the Open Inference Protocol's JSON
//   serve --workers 2    two worker processes behind node:cluster's primary
// The servers take turns for --rounds rounds, so that a slow spell of this shared machine hits them alike;
// each row reports the median over the rounds, and the ratio to the bare server of the same round. Beside
// requests per second: the CPU time the server's processes (primary and workers) spent per request, read
// from /proc, which depends less on what else runs than the rate does. On a 2-core machine autocannon
// competes with the servers for the CPU, so every figure is rough; the ratios within a run are the ones to read.
// Usage: node --import tsx bench/serve-load.ts [--duration 10] [--rounds 3] [--connections 16] [--model file] [--runtime js]  → JSON on stdout
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { metricValue, serveEntry, startBareServer, startServeCli, type ChildServer } from './serve-child.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '2' },
    model: { type: 'string', default: 'models/cartpole-v1-student-16x16/student.onnx' },
    runtime: { type: 'string', default: 'js' },
  },
});
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const file = values.model.includes('=') ? values.model.slice(values.model.indexOf('=') + 1) : values.model;
const OBSERVATION = [0.01, 0.02, -0.03, 0.04];
const V1 = { path: '/v1/models/student:act', body: JSON.stringify({ observation: OBSERVATION }) };

interface ServerKind {
  label: string;
  start(): Promise<ChildServer>;
  request(server: ChildServer): { path: string; body: string };
}

const cli = (...flags: string[]) => () => startServeCli([`student=${file}`, '--no-web', '--runtime', values.runtime, ...flags]);
const kinds: ServerKind[] = [
  { label: 'bare node:http, same JSON parsing and policy', start: () => startBareServer(file, values.runtime), request: () => ({ path: '/', body: V1.body }) },
  { label: 'serve --workers 1 (micro-batching, 200 µs window)', start: cli('--workers', '1'), request: () => V1 },
  { label: 'serve --workers 1 --no-batching', start: cli('--workers', '1', '--no-batching'), request: () => V1 },
  { label: 'serve --workers 1, v2 infer', start: cli('--workers', '1'), request: v2Request },
  { label: 'serve --workers 2 (micro-batching)', start: cli('--workers', '2'), request: () => V1 },
];

/** A v2 infer request naming the model's real input, as its metadata gives it. */
function v2Request(server: ChildServer): { path: string; body: string } {
  const input = (server.listening as { v2Input?: string }).v2Input ?? 'obs';
  return { path: '/v2/models/student/infer', body: JSON.stringify({ inputs: [{ name: input, shape: [1, OBSERVATION.length], datatype: 'FP32', data: OBSERVATION }] }) };
}

function load(url: string, body: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds });
}

/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const processes = (server: ChildServer) => [server.pid, ...((server.listening as { workers?: { pid: number }[] }).workers ?? []).map((w) => w.pid).filter((pid) => pid !== server.pid)];

interface Run {
  requests_per_s: number;
  cpu_us_per_request: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  errors: number;
  non2xx: number;
  mean_batch_size?: number;
}

async function measure(kind: ServerKind): Promise<Run> {
  const server = await kind.start();
  try {
    if (kind.request === v2Request) {
      const meta = (await (await fetch(`${server.url}/v2/models/student`)).json()) as { inputs: { name: string }[] };
      (server.listening as { v2Input?: string }).v2Input = meta.inputs[0].name;
    }
    const { path, body } = kind.request(server);
    await load(server.url + path, body, warmup);
    const pids = processes(server);
    const before = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const result = await load(server.url + path, body, duration);
    const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - before;
    const run: Run = {
      requests_per_s: Math.round(result.requests.average),
      cpu_us_per_request: Number(((cpu * 1e6) / Math.max(1, result.requests.total)).toFixed(1)),
      latency_p50_ms: result.latency.p50,
      latency_p99_ms: result.latency.p99,
      errors: result.errors,
      non2xx: result.non2xx,
    };
    if (path !== '/') {
      // With several workers this is the one worker that answered the scrape.
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      run.mean_batch_size = Number((metricValue(metrics, 'qdistill_batch_size_sum', '{model="student"}') / metricValue(metrics, 'qdistill_batch_size_count', '{model="student"}')).toFixed(2));
    }
    process.stderr.write(`${kind.label}: ${run.requests_per_s} req/s, ${run.cpu_us_per_request} µs CPU per request\n`);
    return run;
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const runs: Run[][] = kinds.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [i, kind] of kinds.entries()) runs[i].push(await measure(kind));
}
console.log(
  JSON.stringify(
    {
      model: file,
      runtime: values.runtime,
      connections,
      duration_s: duration,
      rounds,
      cores: availableParallelism(),
      servers_in: 'child processes; autocannon in the benchmark process, on the same cores',
      serve_from: serveEntry().join(' '),
      results: kinds.map((kind, i) => ({
        server: kind.label,
        requests_per_s: median(runs[i].map((r) => r.requests_per_s)),
        ratio_to_bare: Number(median(runs[i].map((r, k) => r.requests_per_s / runs[0][k].requests_per_s)).toFixed(3)),
        cpu_us_per_request: median(runs[i].map((r) => r.cpu_us_per_request)),
        latency_p50_ms: median(runs[i].map((r) => r.latency_p50_ms)),
        latency_p99_ms: median(runs[i].map((r) => r.latency_p99_ms)),
        ...(runs[i][0].mean_batch_size !== undefined ? { mean_batch_size: median(runs[i].map((r) => r.mean_batch_size!)) } : {}),
        errors: runs[i].reduce((sum, r) => sum + r.errors + r.non2xx, 0),
        rounds: runs[i].map((r) => r.requests_per_s),
      })),
    },
    null,
    2,
  ),
);
