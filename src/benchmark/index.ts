// The benchmark stage: policy files in, latency, throughput, cold start and memory per model × runtime out.
export { bench, benchModels, benchSteps, SINGLE_MEASURES, type BenchOptions, type BenchRequest, type BenchRun } from './bench.js';
export { benchPolicyFile, measurementsPerRun, type LatencyOptions, type LatencyResult, type ThroughputResult, type TimingSummary } from './latency.js';
export { benchStates, batchOf, BENCH_STATE_COUNT, BENCH_STATE_SEED, type BenchStates } from './states.js';
export { selectRuntimes, type RuntimeSelection, type SkippedRuntime } from './runtimes.js';
export * from './format.js';
