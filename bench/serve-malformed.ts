// 10,000 malformed requests (every kind in test/serve/malformed-requests.ts, in turn) against `qdistill serve`
// in a child process with a web page mounted: counts by kind and status (all must be 4xx), then /healthz and
// the server's RSS and V8 heap (from its /metrics, after a forced GC) after a warm-up, after the run and after a
// second run of the same size, to show memory stays flat.
// Usage: node --import tsx bench/serve-malformed.ts [--requests 10000] [--concurrency 16]  → JSON on stdout; exit 1 if any answer is not 4xx
import { parseArgs } from 'node:util';
import { malformedRequests, sendRaw, type MalformedRequest } from '../test/serve/malformed-requests.js';
import { GC_ON_SIGUSR2, metricValue, startServeCli, type ChildServer } from './serve-child.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '1000' },
  },
});
const MAX_REQUEST_BATCH = 64;
const kinds = malformedRequests({ model: 'student', observationSize: 4, webModel: 'student', maxRequestBatch: MAX_REQUEST_BATCH });

/** The server's memory after a full garbage collection (forced through SIGUSR2, see GC_ON_SIGUSR2). */
async function memory(server: ChildServer) {
  process.kill(server.pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return { rss_bytes: metricValue(text, 'process_resident_memory_bytes'), heap_used_bytes: metricValue(text, 'nodejs_heap_used_bytes') };
}

/** Sends `count` requests cycling through the kinds, `concurrency` at a time; tallies statuses. */
async function send(server: ChildServer, count: number, concurrency: number) {
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, Record<string, number>> = {};
  const unexpected: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const request: MalformedRequest = kinds[next++ % kinds.length];
      const status = await sendRaw(server.url, request).then((r) => String(r.status), (e: Error) => `error ${(e as NodeJS.ErrnoException).code ?? e.message}`);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      (byKind[request.kind] ??= {})[status] = (byKind[request.kind][status] ?? 0) + 1;
      if (!/^4\d\d$/.test(status) && unexpected.length < 20) unexpected.push(`${status} ${request.method} ${request.path.slice(0, 80)}`);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { byStatus, byKind, unexpected, seconds: (performance.now() - start) / 1000 };
}

const server = await startServeCli(['student=models/cartpole-v1-student-16x16/student.onnx', '--max-request-batch', String(MAX_REQUEST_BATCH)], GC_ON_SIGUSR2);
try {
  await send(server, Number(values.warmup), Number(values.concurrency));
  const before = await memory(server);
  const run = await send(server, Number(values.requests), Number(values.concurrency));
  const after = await memory(server);
  // A second run of the same size: a leak grows memory again by about as much; garbage does not.
  await send(server, Number(values.requests), Number(values.concurrency));
  const afterSecond = await memory(server);
  const health = await fetch(`${server.url}/healthz`);
  const all4xx = Object.keys(run.byStatus).every((s) => /^4\d\d$/.test(s));
  console.log(
    JSON.stringify(
      {
        requests: Number(values.requests),
        distinct_requests: kinds.length,
        concurrency: Number(values.concurrency),
        seconds: Number(run.seconds.toFixed(1)),
        by_status: run.byStatus,
        by_kind: run.byKind,
        all_4xx: all4xx,
        unexpected: run.unexpected,
        healthz: health.status,
        memory_after_warmup: before,
        memory_after_run: after,
        memory_after_second_run: afterSecond,
        rss_growth_bytes: after.rss_bytes - before.rss_bytes,
        heap_growth_bytes: after.heap_used_bytes - before.heap_used_bytes,
        heap_growth_second_run_bytes: afterSecond.heap_used_bytes - after.heap_used_bytes,
        server: 'qdistill serve (CLI through tsx) in a child process, web page mounted; requests on fresh connections',
      },
      null,
      2,
    ),
  );
  process.exitCode = all4xx && health.status === 200 ? 0 : 1;
} finally {
  await server.stop();
}
