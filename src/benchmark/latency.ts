// One model on one runtime: cold start (file read → open → first result), warm-up, single-observation
// latency (p50/p90/p99 of `await policy.qValues(obs, 1)` as the caller sees it, async hops included),
// throughput per batch size, peak memory, and where the runtime offers it, its own in-engine timing.
// Every measurement runs for a time budget rather than a call count, so slow and fast runtimes both finish.
import { openPolicyBytes, readPolicyBytes } from '../infer/open.js';
import type { Policy } from '../infer/policy.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import { inEngineTimer } from './in-engine.js';
import { PeakMemory } from './memory.js';
import { percentiles } from '../util/stats.js';
import { batchOf, type BenchStates } from './states.js';

/** Options of benchPolicyFile(): the budget, the states to feed, the runtime's settings. */
export interface LatencyOptions {
  env?: string;
  batches: number[];
  /** Time budget of each measurement (single-observation latency, each batch size, in-engine timing). */
  seconds: number;
  states: BenchStates;
  runtimeOptions?: RuntimeOptions;
  /** Called after each measurement (for progress bars). */
  onMeasurement?: (what: string) => void;
}

/** Per-call times of one measurement, in microseconds (percentiles by nearest rank). */
export interface TimingSummary {
  /** Calls timed. */
  calls: number;
  /** Median µs per call. */
  p50Us: number;
  /** 90th percentile, µs per call. */
  p90Us: number;
  /** 99th percentile, µs per call. */
  p99Us: number;
  /** Mean µs per call. */
  meanUs: number;
}

/** Throughput at one batch size: batched calls for the time budget. */
export interface ThroughputResult {
  /** Observations per call. */
  batch: number;
  /** Batched calls timed. */
  calls: number;
  /** Observations answered per second of wall time (batch × calls / elapsed). */
  observationsPerSecond: number;
  /** Median milliseconds per batched call. */
  p50CallMs: number;
}

/** One model on one runtime: cold start, single-observation latency, throughput per batch size, peak memory. */
export interface LatencyResult {
  /** The model file. */
  file: string;
  /** The runtime's name. */
  runtime: string;
  /** File size in bytes. */
  bytes: number;
  /** Milliseconds from reading the file to the first result (includes session creation). */
  coldStartMs: number;
  /** Single-observation calls made to warm up before timing (for min(1 s, seconds / 4), at least 10). */
  warmupCalls: number;
  /** Single-observation latency seen by the caller: `await policy.qValues(obs, 1)`. */
  single: TimingSummary;
  /** One per batch size, in the order asked. */
  throughput: ThroughputResult[];
  /** Peak growth in bytes over the memory before the file was read (sampled between measurements), that baseline, and what was measured. */
  memory: { peakDeltaBytes: number; baselineBytes: number; measured: string };
  /** The runtime's own timing of single calls where the model runs (e.g. inside the browser page), or null. */
  inEngine: (TimingSummary & { measured: string }) | null;
}

/** Measurement count per model × runtime (for progress bars): single latency + one per batch size. */
export const measurementsPerRun = (batches: number[]) => 1 + batches.length;

const MIN_CALLS = 10;
const MAX_SAMPLES = 2_000_000;

/** Runs `call` until `seconds` have passed (and at least `minCalls` times); per-call microseconds. */
async function timeCalls(call: (i: number) => Promise<unknown>, seconds: number, minCalls: number): Promise<Float64Array> {
  let samples = new Float64Array(1024);
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  for (let i = 0; (n < minCalls || performance.now() < deadline) && n < MAX_SAMPLES; i++) {
    const start = performance.now();
    await call(i);
    const us = (performance.now() - start) * 1000;
    if (n === samples.length) {
      const grown = new Float64Array(samples.length * 2);
      grown.set(samples);
      samples = grown;
    }
    samples[n++] = us;
  }
  return samples.subarray(0, n);
}

function summarize(samples: ArrayLike<number>): TimingSummary {
  const p = percentiles(samples);
  return { calls: p.count, p50Us: p.p50, p90Us: p.p90, p99Us: p.p99, meanUs: p.mean };
}

function memoryScope(scope: string, outOfProcess: boolean): string {
  const where = !outOfProcess ? '' : scope.includes('child processes') ? ' (includes Chromium, where the model runs)' : ' (NOT including the process where the model runs)';
  return `${scope}${where}: growth from before the file was read to the highest sample between measurements`;
}

/** Measures one model file on one runtime (see LatencyResult); the runtime's UsageError when it cannot run it. */
export async function benchPolicyFile(file: string, runtime: string, o: LatencyOptions): Promise<LatencyResult> {
  const singles = Array.from({ length: o.states.count }, (_, i) => batchOf(o.states, 1, i));
  const memory = new PeakMemory();
  const coldStart = performance.now();
  const bytes = readPolicyBytes(file);
  const policy = await openPolicyBytes(bytes, file, { ...o.runtimeOptions, env: o.env, runtime });
  try {
    await policy.qValues(singles[0], 1);
    const coldStartMs = performance.now() - coldStart;
    memory.sample();
    const warmupCalls = (await timeCalls((i) => policy.qValues(singles[i % singles.length], 1), Math.min(1, o.seconds / 4), MIN_CALLS)).length;
    const single = summarize(await timeCalls((i) => policy.qValues(singles[i % singles.length], 1), o.seconds, MIN_CALLS));
    memory.sample();
    o.onMeasurement?.('single');
    const throughput: ThroughputResult[] = [];
    for (const batch of o.batches) {
      throughput.push(await measureThroughput(policy, o.states, batch, o.seconds));
      memory.sample();
      o.onMeasurement?.(`batch ${batch}`);
    }
    const inEngine = await measureInEngine(policy, singles[0], single.calls);
    memory.sample();
    const m = memory.result();
    return {
      file,
      runtime,
      bytes: bytes.length,
      coldStartMs,
      warmupCalls,
      single,
      throughput,
      memory: { peakDeltaBytes: m.peakDeltaBytes, baselineBytes: m.baselineBytes, measured: memoryScope(m.scope, inEngine !== null) },
      inEngine,
    };
  } finally {
    await policy.dispose();
  }
}

async function measureThroughput(policy: Policy, states: BenchStates, batch: number, seconds: number): Promise<ThroughputResult> {
  // A few distinct batches in turn, so no runtime can answer from a cache of the last input.
  const inputs = [0, 1, 2, 3].map((k) => batchOf(states, batch, k * 257));
  for (const input of inputs) await policy.qValues(input, batch); // warm-up: allocations for this batch size
  const start = performance.now();
  const times = await timeCalls((i) => policy.qValues(inputs[i % inputs.length], batch), seconds, 3);
  const elapsedSeconds = (performance.now() - start) / 1000;
  return { batch, calls: times.length, observationsPerSecond: (times.length * batch) / elapsedSeconds, p50CallMs: percentiles(times).p50 / 1000 };
}

async function measureInEngine(policy: Policy, observation: Float32Array, callsSeenFromNode: number): Promise<LatencyResult['inEngine']> {
  const timer = inEngineTimer(policy);
  if (!timer) return null;
  // As many calls as Node managed in its own budget, at least 100, at most 20,000 (one message back).
  const iterations = Math.max(100, Math.min(20_000, callsSeenFromNode));
  const times = await timer(observation, iterations);
  if (times.length === 0) return null;
  return { ...summarize(times), measured: 'session.run timed with performance.now() inside the page (batch 1), without the round trip to Node; the browser coarsens that timer' };
}
