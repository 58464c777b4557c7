// Load on loopback with autocannon (in this process) against three servers, each in a child process:
// (a) a bare node:http server returning a constant JSON body, (b) `qdistill serve` with micro-batching,
// (c) `qdistill serve --no-batching` — the CartPole 16-16 student on ort-cpu (or --runtime), single-observation act, the
// same connection count for all. On a 2-core machine autocannon competes with the server for the CPU;
// it does so for every server alike, so the ratio to (a) is the figure to read.
// Usage: node --import tsx bench/serve-load.ts [--duration 30] [--connections 16] [--model file] [--runtime r]  → JSON on stdout
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { metricValue, startBareServer, startServeCli, type ChildServer } from './serve-child.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '3' },
    model: { type: 'string', default: 'models/cartpole-v1-student-16x16/student.onnx' },
    'batch-window-us': { type: 'string', default: '200' },
    runtime: { type: 'string', default: 'ort-cpu' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const warmup = Number(values.warmup);
const body = JSON.stringify({ observation: [0.01, 0.02, -0.03, 0.04] });

function load(url: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration: seconds });
}

async function measure(label: string, server: ChildServer, path: string) {
  try {
    await load(server.url + path, warmup);
    const result = await load(server.url + path, duration);
    const metrics = path === '/' ? '' : await (await fetch(`${server.url}/metrics`)).text();
    const inferences = metricValue(metrics, 'qdistill_inferences_total', '{model="student"}');
    const observations = metricValue(metrics, 'qdistill_batch_size_sum', '{model="student"}');
    process.stderr.write(`${label}: ${result.requests.average} req/s\n`);
    return {
      server: label,
      requests_per_s: result.requests.average,
      latency_p50_ms: result.latency.p50,
      latency_p99_ms: result.latency.p99,
      requests: result.requests.total,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      ...(metrics ? { mean_batch_size: Number((observations / inferences).toFixed(2)) } : {}),
    };
  } finally {
    await server.stop();
  }
}

const cli = [values.model.includes('=') ? values.model : `student=${values.model}`, '--no-web', '--runtime', values.runtime];
const rows = [];
rows.push(await measure('bare node:http, constant JSON', await startBareServer(), '/'));
rows.push(await measure(`qdistill serve, micro-batching (${values['batch-window-us']} µs window)`, await startServeCli([...cli, '--batch-window-us', values['batch-window-us']]), '/v1/models/student:act'));
rows.push(await measure('qdistill serve --no-batching', await startServeCli([...cli, '--no-batching']), '/v1/models/student:act'));
const bare = rows[0].requests_per_s;
console.log(
  JSON.stringify(
    {
      model: values.model,
      runtime: values.runtime,
      connections,
      duration_s: duration,
      servers_in: 'child processes; autocannon in the benchmark process',
      results: rows.map((r) => ({ ...r, ratio_to_bare: Number((r.requests_per_s / bare).toFixed(3)) })),
    },
    null,
    2,
  ),
);
