// Cold start (file → first result) and single-observation latency of each available runtime on one policy
// file, printed as JSON. Node runtimes are timed around qValues; the browser runtime twice: inside the page
// (benchInPage: session.run timed with performance.now() in Chromium) and the page.evaluate round trip.
// Ratios are to ort-wasm in Node measured in the same run (same kernels, no browser).
//   node --import tsx bench/runtime-latency.ts [model.onnx] [iterations]
// Each runtime's cold start is its first open in this process (the wasm instance starts once per process).
import { Rng } from '../src/envs/rng.js';
import { observationSize } from '../src/envs/types.js';
import { nearestRank as percentile } from '../src/util/stats.js';
import type { BrowserPolicy } from '../src/infer/browser.js';
import { openPolicy, RUNTIME_REGISTRY, type OpenOptions } from '../src/infer/open.js';
import type { Policy } from '../src/infer/policy.js';

const file = process.argv[2] ?? 'models/cartpole-v1-student-16x16/student.onnx';
const iterations = Number(process.argv[3] ?? 5000);
const warmup = Math.ceil(iterations / 10);

function quantiles(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => percentile(sorted, q);
  return { p50_us: +(1000 * at(0.5)).toFixed(1), p90_us: +(1000 * at(0.9)).toFixed(1), p99_us: +(1000 * at(0.99)).toFixed(1) };
}

async function timeCalls(policy: Policy, observation: Float32Array, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await policy.qValues(observation, 1);
    times.push(performance.now() - start);
  }
  return times;
}

const variants: { label: string; options: OpenOptions }[] = [];
for (const name of Object.keys(RUNTIME_REGISTRY)) {
  if (name === 'browser') {
    variants.push({ label: 'browser (wasm)', options: { runtime: name, browserBackend: 'wasm' } });
    variants.push({ label: 'browser (webgpu)', options: { runtime: name, browserBackend: 'webgpu' } });
  } else variants.push({ label: name, options: { runtime: name } });
}

const results: Record<string, unknown>[] = [];
for (const { label, options } of variants) {
  const reason = await RUNTIME_REGISTRY[options.runtime!].unavailableReason();
  if (reason) {
    results.push({ runtime: label, unavailable: reason });
    continue;
  }
  const start = performance.now();
  let policy: Policy;
  try {
    policy = await openPolicy(file, options);
  } catch (error) {
    results.push({ runtime: label, unavailable: (error as Error).message });
    continue;
  }
  const rng = new Rng(5);
  const observation = Float32Array.from({ length: observationSize(policy.spec) }, () => rng.normal());
  await policy.qValues(observation, 1);
  const coldStartMs = performance.now() - start;
  await timeCalls(policy, observation, warmup);
  const entry: Record<string, unknown> = { runtime: label, cold_start_ms: +coldStartMs.toFixed(1) };
  if ('benchInPage' in policy) {
    const browserPolicy = policy as BrowserPolicy;
    await browserPolicy.benchInPage(observation, 1, warmup);
    entry.in_page = quantiles(await browserPolicy.benchInPage(observation, 1, iterations));
    entry.round_trip = quantiles(await timeCalls(policy, observation, Math.min(iterations, 2000)));
    entry.page = browserPolicy.page;
  } else {
    entry.call = quantiles(await timeCalls(policy, observation, iterations));
  }
  await policy.dispose();
  results.push(entry);
}

const baseline = results.find((r) => r.runtime === 'ort-wasm')?.call as { p50_us: number } | undefined;
for (const r of results) {
  const p50 = ((r.in_page ?? r.call) as { p50_us: number } | undefined)?.p50_us;
  if (baseline && p50 !== undefined) r.p50_vs_ort_wasm = +(p50 / baseline.p50_us).toFixed(2);
}
console.log(JSON.stringify({ file, iterations, results }, null, 2));
