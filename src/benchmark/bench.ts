// Every model × runtime in one run, one after the other, on the same observations per model.
import { checkMemoryNeeds } from '../util/memory-budget.js';
import { readPolicyBytes } from '../infer/open.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import { UsageError } from '../util/errors.js';
import { machineDescription } from '../util/machine.js';
import { TOOL_VERSION } from '../util/version.js';
import { benchPolicyFile, measurementsPerRun, type LatencyResult } from './latency.js';
import { type RuntimeSelection, type SkippedRuntime, selectRuntimes } from './runtimes.js';
import { benchStates } from './states.js';
import type { OnProgress } from '../util/progress.js';
import { percentiles } from '../util/stats.js';

/** Options of a bench run: the measurement budget and the runtimes' settings. */
export interface BenchOptions {
  /** Environment id for files without qdistill.env metadata. */
  env?: string;
  /** Batch sizes to measure throughput at (bench(): [1, 32, 1024]). */
  batches: number[];
  /** Time budget of each measurement, in seconds (bench(): 2). */
  seconds: number;
  /** Settings for every runtime opened (threads, graph optimization, ...). */
  runtimeOptions?: RuntimeOptions;
  /** Settings for one file over runtimeOptions (`index` in `files`): compare reads --output from the teacher only. */
  fileOptions?: (file: string, index: number) => RuntimeOptions;
  /** One event per measurement (task 'bench'; `fields.what` names it), starting at 0 done. */
  onProgress?: OnProgress;
}

/** One bench run: a LatencyResult per model × runtime, with the machine, the settings and what could not run. */
export interface BenchRun {
  /** 'qdistill' and its version, e.g. 'qdistill 0.1.0'. */
  tool: string;
  /** The machine measured on: CPU count and model, Node version. */
  machine: string;
  /** What `single` measures, in words. */
  singleMeasures: string;
  /** Median µs of timing `await` on an already-resolved promise: the floor of any single-call figure here. */
  timerAndAwaitFloorUs: number;
  /** The batch sizes throughput was measured at. */
  batches: number[];
  /** Time budget of each measurement, in seconds. */
  secondsPerMeasurement: number;
  /** The runtimes that ran, by name. */
  runtimes: string[];
  /** Runtimes not run, each with why (unavailable here, or slow to start and not named). */
  skipped: SkippedRuntime[];
  /** Model × runtime pairs the runtime refused (e.g. an op the js compiler does not support), with why. */
  unsupported: { file: string; runtime: string; reason: string }[];
  /** One per model × runtime that ran, models in the order given. */
  results: LatencyResult[];
}

/** What a single-observation latency figure measures, in words (BenchRun.singleMeasures). */
export const SINGLE_MEASURES = 'await policy.qValues(observation, 1) from Node (the call, its async hops and any round trip to where the model runs)';

/** Measurements a run of `models` × `runtimes` makes (for progress bars). */
export function benchSteps(models: number, runtimes: number, batches: number[]): number {
  return models * runtimes * measurementsPerRun(batches);
}

async function timerAndAwaitFloor(): Promise<number> {
  const resolved = async (x: number) => x;
  const samples = new Float64Array(20_000);
  for (let i = 0; i < samples.length; i++) {
    const start = performance.now();
    await resolved(i);
    samples[i] = (performance.now() - start) * 1000;
  }
  return percentiles(samples).p50;
}

/** The input batches a throughput measurement cycles through (latency.ts), and room for the runtime's copies of them. */
const BATCH_COPIES = 8;

/** Refuses batch sizes whose inputs alone would not fit in memory, before the model is timed. */
function checkBatchMemory(batches: readonly number[], perObservation: number, file: string): void {
  const largest = Math.max(1, ...batches);
  checkMemoryNeeds([{ what: `--batch ${largest} (${perObservation} values per observation)`, bytes: largest * perObservation * 4 * BATCH_COPIES, elements: largest * perObservation }], file);
}

/** Benchmarks every file on every selected runtime, one after the other; a pair the runtime refuses is listed in `unsupported`. */
export async function benchModels(files: string[], selection: RuntimeSelection, o: BenchOptions): Promise<BenchRun> {
  const total = benchSteps(files.length, selection.runtimes.length, o.batches);
  let done = 0;
  const results: LatencyResult[] = [];
  const unsupported: BenchRun['unsupported'] = [];
  const progress = (count: number, what: string) => o.onProgress?.({ task: 'bench', done: count, total, fields: { what } });
  for (const [index, file] of files.entries()) {
    const runtimeOptions = { ...o.runtimeOptions, ...o.fileOptions?.(file, index) };
    const states = await benchStates(readPolicyBytes(file), file, o.env, undefined, runtimeOptions);
    checkBatchMemory(o.batches, states.perObservation, file);
    if (index === 0) progress(0, 'starting');
    for (const runtime of selection.runtimes) {
      const before = done;
      try {
        results.push(
          await benchPolicyFile(file, runtime.name, {
            env: o.env,
            batches: o.batches,
            seconds: o.seconds,
            states,
            runtimeOptions,
            onMeasurement: (what) => progress(++done, `${runtime.name} ${what}`),
          }),
        );
      } catch (error) {
        // A runtime that cannot run this model (a UsageError: unsupported op, ...) is listed, not fatal.
        if (!(error instanceof UsageError)) throw error;
        unsupported.push({ file, runtime: runtime.name, reason: error.message });
        done = before + measurementsPerRun(o.batches);
        progress(done, `${runtime.name} cannot run ${file}`);
      }
    }
  }
  return {
    tool: `qdistill ${TOOL_VERSION}`,
    machine: machineDescription(),
    singleMeasures: SINGLE_MEASURES,
    timerAndAwaitFloorUs: await timerAndAwaitFloor(),
    batches: o.batches,
    secondsPerMeasurement: o.seconds,
    runtimes: selection.runtimes.map((r) => r.name),
    skipped: selection.skipped,
    unsupported,
    results,
  };
}

/** Options of bench(): the runtimes by name and the measurement budget, with the CLI's defaults. */
export interface BenchRequest extends Partial<BenchOptions> {
  /** Runtimes, comma-separated, or 'all' (default: every available one except the browser). */
  runtime?: string;
}

/** Every model × runtime in one run: cold start, single-observation p50/p90/p99, throughput per batch, peak memory, bytes. */
export async function bench(files: string[], request: BenchRequest = {}): Promise<BenchRun> {
  const { runtime, ...rest } = request;
  return benchModels(files, await selectRuntimes(runtime), {
    batches: [1, 32, 1024],
    seconds: 2,
    ...rest,
  });
}
