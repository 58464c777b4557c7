// Single-observation latency, interleaved in rounds over the same visited states so the ratios hold on a shared
// machine: a bare onnxruntime-node session.run (CPU EP, 1 thread) plus argmax as the baseline; our ort-cpu
// runtime's policy.act on the same file; the policy compiled to JavaScript (`export js`), called directly and
// through the js runtime's policy.act. Also checks that js and ort-cpu choose the same action on 10,000 states.
// Usage: node --import tsx bench/js-latency.ts [model.onnx] [--weights float32|int8]  → JSON on stdout
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { generateJs } from '../src/codegen/js.js';
import { programFromBytes, type WeightFormat } from '../src/codegen/program.js';
import { importGeneratedModule } from '../src/infer/js-runtime.js';
import { openPolicy } from '../src/infer/open.js';
import { nearestRank as percentile } from '../src/util/stats.js';
import { argmax } from '../src/policy/agreement.js';
import { visitedStates } from '../src/rollout/visited-states.js';

const args = process.argv.slice(2);
const weightsAt = args.indexOf('--weights');
const weights = (weightsAt >= 0 ? args.splice(weightsAt, 2)[1] : 'float32') as WeightFormat;
const file = args[0] ?? 'models/cartpole-v1-student-16x16/student.onnx';
const STATES = 10_000;
const ROUNDS = 20;
const RUNS_PER_ROUND = 1000;
const WARMUP = 2000;

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50_us: Number(percentile(sorted, 0.5).toFixed(3)), p90_us: Number(percentile(sorted, 0.9).toFixed(3)), p99_us: Number(percentile(sorted, 0.99).toFixed(3)) };
};

const bytes = readFileSync(file);
const program = programFromBytes(bytes, file, { weights });
const module = await importGeneratedModule(generateJs(program));
const policy = await openPolicy(file);
const jsPolicy = await openPolicy(file, { runtime: 'js' });
const size = program.observationSize;
const { observations } = await visitedStates(policy, STATES, 1234);

const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const inputName = session.inputNames[0];
const outputName = session.outputNames[0];
const observation = (s: number) => observations.subarray(s * size, (s + 1) * size);
async function ortAct(s: number): Promise<number> {
  const result = await session.run({ [inputName]: new ort.Tensor('float32', observation(s), [1, size]) });
  return argmax(result[outputName].data as Float32Array);
}

// Action identity on every state.
let differ = 0;
for (let s = 0; s < STATES; s++) if (module.act(observation(s)) !== (await ortAct(s))) differ++;

for (let i = 0; i < WARMUP; i++) {
  module.act(observation(i % STATES));
  await ortAct(i % STATES);
  await policy.act(observation(i % STATES));
  await jsPolicy.act(observation(i % STATES));
}
const jsSamples: number[] = [];
const ortSamples: number[] = [];
const policySamples: number[] = [];
const jsPolicySamples: number[] = [];
let sink = 0;
async function timeRuns(round: number, samples: number[], act: (o: Float32Array) => Promise<number>): Promise<void> {
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    const o = observation((round * RUNS_PER_ROUND + i) % STATES);
    const start = process.hrtime.bigint();
    sink += await act(o);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
}
for (let round = 0; round < ROUNDS; round++) {
  await timeRuns(round, policySamples, (o) => policy.act(o));
  await timeRuns(round, jsPolicySamples, (o) => jsPolicy.act(o));
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    const s = (round * RUNS_PER_ROUND + i) % STATES;
    const start = process.hrtime.bigint();
    sink += module.act(observation(s));
    jsSamples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  for (let i = 0; i < RUNS_PER_ROUND; i++) {
    const s = (round * RUNS_PER_ROUND + i) % STATES;
    const start = process.hrtime.bigint();
    sink += await ortAct(s);
    ortSamples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
}
// Per-call timing of a sub-microsecond function is dominated by the clock; a tight loop gives the mean too.
const loopStart = process.hrtime.bigint();
for (let i = 0; i < 100_000; i++) sink += module.act(observation(i % STATES));
const jsLoopMean = Number(process.hrtime.bigint() - loopStart) / 1000 / 100_000;
await session.release();
await policy.dispose();
await jsPolicy.dispose();

const js = summary(jsSamples);
const onnx = summary(ortSamples);
const ortCpu = summary(policySamples);
const jsRuntime = summary(jsPolicySamples);
process.stdout.write(
  JSON.stringify(
    {
      model: file,
      weights,
      node: process.version,
      baseline: `onnxruntime-node ${ort.env.versions.node}, CPU EP, 1 thread, graph optimization 'all', session.run + argmax`,
      runsPerVariant: ROUNDS * RUNS_PER_ROUND,
      js: { ...js, loop_mean_us: Number(jsLoopMean.toFixed(4)) },
      ort: onnx,
      ort_p50_over_js_p50: Number((onnx.p50_us / js.p50_us).toFixed(1)),
      ort_cpu_runtime_act: ortCpu,
      ort_cpu_runtime_p50_over_bare_session_run_p50: Number((ortCpu.p50_us / onnx.p50_us).toFixed(3)),
      js_runtime_act: jsRuntime,
      actions: { states: STATES, differ },
      checksum: sink,
    },
    null,
    2,
  ) + '\n',
);
