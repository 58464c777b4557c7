// Single-observation latency of the compiled policy against onnxruntime, per model and number format:
//   js-plain      the `export js` module with kernels: 'js' (plain loops), act()
//   js-wasm-simd  the same module with kernels: 'wasm-simd' (dense layers in the WebAssembly SIMD kernel)
//   ort-cpu       onnxruntime-node, CPU EP, 1 thread, graph optimization 'all': session.run at batch 1 + argmax
//   ort-wasm      onnxruntime-web's wasm backend inside Node, 1 thread, the same
//   c-gcc-O2      the `export c` header built with gcc -O2, timed in its own process (not interleaved)
// for the CartPole 16-16 student, the LunarLander 64-64 student and the 256-256 CartPole teacher, in float32
// and as int8 files made by the real `qdistill quantize` (dynamic, static QDQ, and dynamic with
// --quantize-input-layer). In-process variants run
// interleaved in rounds over the same visited states, so a shared machine's slow moments hit them alike:
// trust the ratios within one run, not the absolute figures. A compiled variant the code generators cannot
// build (yet) is reported with the one line they answer.
// Also `threshold`: js-plain / js-wasm-simd per call for single dense layers of a few multiply-adds, the
// measurement behind wasm-layout.ts's AUTO_MIN_MULTIPLY_ADDS.
// Usage: node --import tsx bench/compiled-latency.ts [--rounds N] → JSON on stdout (progress on stderr)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { generateC } from '../src/codegen/c.js';
import { generateJs } from '../src/codegen/js.js';
import { programFromBytes } from '../src/codegen/program.js';
import type { Program } from '../src/codegen/program-types.js';
import { AUTO_MIN_MULTIPLY_ADDS } from '../src/codegen/wasm-layout.js';
import { importGeneratedModule } from '../src/infer/js-runtime.js';
import { openPolicy } from '../src/infer/open.js';
import { argmax } from '../src/policy/agreement.js';
import { visitedStates } from '../src/rollout/visited-states.js';
import { nearestRank } from '../src/util/stats.js';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 10;
const RUNS_PER_ROUND = 500;
const STATES = 2000;
const WARMUP = 1000;
const MODELS = [
  { name: 'CartPole 16-16 student', file: 'models/cartpole-v1-student-16x16/student.onnx' },
  { name: 'LunarLander 64-64 student', file: 'models/lunarlander-v3-student-64x64/student.onnx' },
  { name: 'CartPole 256-256 teacher', file: 'models/cartpole-v1/teacher.onnx' },
];
const tmp = mkdtempSync(join(tmpdir(), 'qdistill-bench-compiled-'));
const log = (line: string) => process.stderr.write(`${line}\n`);
const round3 = (v: number) => Number(v.toFixed(3));

/** The int8 files, made the way users make them: the CLI's quantize, without the episode check. */
function quantized(file: string, mode: 'dynamic' | 'static', ...flags: string[]): Uint8Array | string {
  const out = join(tmp, `${file.replace(/\W+/g, '-')}-${mode}${flags.join('')}.onnx`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'quantize', file, '--out', out, '--mode', mode, '--episodes', '0', ...flags], { encoding: 'utf8' });
  if (r.status !== 0) return `quantize --mode ${mode} ${flags.join(' ')} failed: ${r.stderr.trim().split('\n').at(-1)}`;
  return new Uint8Array(readFileSync(out));
}

type Act = (observation: Float32Array) => number | Promise<number>;

async function ortNodeAct(bytes: Uint8Array, size: number): Promise<Act> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const [input, output] = [session.inputNames[0], session.outputNames[0]];
  return async (o) => argmax((await session.run({ [input]: new ort.Tensor('float32', o, [1, size]) }))[output].data as Float32Array);
}

async function ortWebAct(bytes: Uint8Array, size: number): Promise<Act> {
  ortWeb.env.wasm.numThreads = 1;
  const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const [input, output] = [session.inputNames[0], session.outputNames[0]];
  return async (o) => argmax((await session.run({ [input]: new ortWeb.Tensor('float32', o, [1, size]) }))[output].data as Float32Array);
}

/** The compiled module's act, or the one line the code generator answers for this file. */
async function compiledAct(program: Program | string, kernels: 'js' | 'wasm-simd'): Promise<{ act: Act; kernels: string } | string> {
  if (typeof program === 'string') return program;
  const module = (await importGeneratedModule(generateJs(program, { kernels }))) as Awaited<ReturnType<typeof importGeneratedModule>> & { kernels: string };
  return { act: (o) => module.act(o), kernels: module.kernels };
}

const TIMING_MAIN = `#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include POLICY_HEADER
static double now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
  long count = atol(argv[1]), runs = atol(argv[2]), sink = 0;
  float *obs = malloc(sizeof(float) * count * QDISTILL_OBS_SIZE);
  double *ns = malloc(sizeof(double) * runs);
  if (!obs || !ns || fread(obs, sizeof(float), count * QDISTILL_OBS_SIZE, stdin) != (size_t)(count * QDISTILL_OBS_SIZE)) return 3;
  for (long i = 0; i < runs; i++) sink += qdistill_act(obs + (i % count) * QDISTILL_OBS_SIZE);
  for (long i = 0; i < runs; i++) {
    double start = now_ns();
    sink += qdistill_act(obs + (i % count) * QDISTILL_OBS_SIZE);
    ns[i] = now_ns() - start;
  }
  fwrite(ns, sizeof(double), runs, stdout);
  fprintf(stderr, "%ld\\n", sink);
  return 0;
}
`;

/** p50/p99 of the C header built with gcc -O2, in microseconds, or why it could not be built. */
function cLatency(program: Program | string, states: Float32Array, count: number, runs: number): Record<string, number> | string {
  if (typeof program === 'string') return program;
  let header: string;
  try {
    header = generateC(program);
  } catch (e) {
    return String((e as Error).message);
  }
  const headerPath = join(tmp, 'policy.h');
  const mainPath = join(tmp, 'timing.c');
  const exe = join(tmp, 'timing');
  writeFileSync(headerPath, header);
  writeFileSync(mainPath, TIMING_MAIN);
  const build = spawnSync('gcc', ['-std=c99', '-O2', `-DPOLICY_HEADER="${headerPath}"`, '-o', exe, mainPath, '-lm'], { encoding: 'utf8' });
  if (build.status !== 0) return `gcc failed: ${build.stderr.trim().split('\n')[0]}`;
  const r = spawnSync(exe, [String(count), String(runs)], { input: Buffer.from(states.buffer, states.byteOffset, states.byteLength), maxBuffer: 1 << 26 });
  if (r.status !== 0) return `the timing program exited with ${r.status}`;
  const ns = new Float64Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.byteLength)).sort();
  return { p50_us: round3(nearestRank(ns, 0.5) / 1000), p99_us: round3(nearestRank(ns, 0.99) / 1000) };
}

function programOf(bytes: Uint8Array | string, where: string): Program | string {
  if (typeof bytes === 'string') return bytes;
  try {
    return programFromBytes(bytes, where);
  } catch (e) {
    return String((e as Error).message);
  }
}

/** Runs every act on the same states in rounds; microseconds per call, sorted, per name. */
async function interleaved(acts: Record<string, Act>, observation: (i: number) => Float32Array): Promise<Record<string, Float64Array>> {
  for (const act of Object.values(acts)) for (let i = 0; i < WARMUP; i++) await act(observation(i));
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(acts).map((k) => [k, []]));
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, act] of Object.entries(acts)) {
      for (let i = 0; i < RUNS_PER_ROUND; i++) {
        const o = observation(round * RUNS_PER_ROUND + i);
        const start = process.hrtime.bigint();
        sink += await act(o);
        samples[name].push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Float64Array.from(v).sort()]));
}

const results = [];
for (const model of MODELS) {
  const float = new Uint8Array(readFileSync(model.file));
  const teacher = await openPolicy(model.file);
  const { observations } = await visitedStates(teacher, STATES, 1234);
  const size = teacher.spec.observationShape.reduce((a, b) => a * b, 1);
  await teacher.dispose();
  const observation = (i: number) => observations.subarray((i % STATES) * size, ((i % STATES) + 1) * size);
  const formats: [string, Uint8Array | string][] = [
    ['fp32', float],
    ['int8-dynamic', quantized(model.file, 'dynamic')],
    ['int8-static', quantized(model.file, 'static')],
    // Every layer integer, the observation quantized too (by default quantize keeps the input layer float).
    ['int8-dynamic-every-layer', quantized(model.file, 'dynamic', '--quantize-input-layer')],
  ];
  for (const [format, bytes] of formats) {
    log(`${model.name} ${format}`);
    const row: Record<string, unknown> = { model: model.name, file: model.file, format };
    if (typeof bytes === 'string') {
      results.push({ ...row, unavailable: bytes });
      continue;
    }
    const program = programOf(bytes, model.file);
    const acts: Record<string, Act> = { 'ort-cpu': await ortNodeAct(bytes, size), 'ort-wasm': await ortWebAct(bytes, size) };
    for (const kernels of ['js', 'wasm-simd'] as const) {
      const compiled = await compiledAct(program, kernels);
      const name = kernels === 'js' ? 'js-plain' : 'js-wasm-simd';
      if (typeof compiled === 'string') row[name] = { unavailable: compiled };
      else {
        acts[name] = compiled.act;
        row[name] = { kernels: compiled.kernels };
      }
    }
    const samples = await interleaved(acts, observation);
    const ortP50 = nearestRank(samples['ort-cpu'], 0.5);
    for (const [name, sorted] of Object.entries(samples)) {
      const p50 = nearestRank(sorted, 0.5);
      row[name] = { ...(row[name] as object), p50_us: round3(p50), p99_us: round3(nearestRank(sorted, 0.99)), p50_over_ort_cpu: round3(p50 / ortP50) };
    }
    const c = cLatency(program, observations, STATES, ROUNDS * RUNS_PER_ROUND);
    row['c-gcc-O2'] = typeof c === 'string' ? { unavailable: c } : { ...c, p50_over_ort_cpu: round3(c.p50_us / ortP50) };
    results.push(row);
  }
}

/** One dense layer columns → rows with ReLU, random weights: the smallest runs `auto` might see. */
function singleLayer(columns: number, rows: number): Program {
  const values = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i + 1) / 2);
  return {
    env: 'bench', observationShape: [columns], observationSize: columns, actionCount: rows, output: 'q_values', fileLayout: 'native',
    weights: 'float32', source: { file: 'bench', sha256: '' }, notes: [], buffers: [columns, rows], result: 1,
    steps: [{ kind: 'dense', node: 'dense', input: 0, output: 1, weights: { rows, columns, values, int8: null }, bias: new Float32Array(rows).fill(0.1), activation: { kind: 'relu' }, integer: null }],
  };
}

/** Mean ns per act() over a tight loop: sub-microsecond calls are below what per-call timing resolves. */
function loopNs(act: (o: Float32Array) => number, inputs: Float32Array[], calls: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += act(inputs[i & 1023]);
  const ns = Number(process.hrtime.bigint() - start) / calls;
  return sink === -1 ? 0 : ns;
}

const threshold = [];
log('threshold sweep');
for (const [columns, rows] of [[1, 1], [2, 1], [2, 2], [4, 2], [4, 4], [8, 4], [8, 8], [16, 16]]) {
  const program = singleLayer(columns, rows);
  const plain = await importGeneratedModule(generateJs(program, { kernels: 'js' }));
  const wasm = await importGeneratedModule(generateJs(program, { kernels: 'wasm-simd' }));
  const inputs = Array.from({ length: 1024 }, (_, i) => Float32Array.from({ length: columns }, (_, c) => Math.cos(i * columns + c)));
  for (let i = 0; i < 3; i++) [plain, wasm].forEach((m) => loopNs((o) => m.act(o), inputs, 50_000));
  const ratios: number[] = [];
  for (let r = 0; r < 2 * ROUNDS + 1; r++) ratios.push(loopNs((o) => plain.act(o), inputs, 50_000) / loopNs((o) => wasm.act(o), inputs, 50_000));
  ratios.sort((a, b) => a - b);
  threshold.push({ multiplyAdds: columns * rows, columns, rows, plain_over_wasm_median: round3(ratios[ROUNDS]), plain_over_wasm_min: round3(ratios[0]), plain_over_wasm_max: round3(ratios.at(-1)!) });
}
rmSync(tmp, { recursive: true, force: true });

process.stdout.write(
  JSON.stringify(
    {
      node: process.version,
      onnxruntimeNode: ort.env.versions.node,
      note: 'shared machine: absolute figures are rough; compare ratios within this run',
      roundsTimesRuns: ROUNDS * RUNS_PER_ROUND,
      states: STATES,
      autoMinMultiplyAdds: AUTO_MIN_MULTIPLY_ADDS,
      results,
      threshold,
    },
    null,
    2,
  ) + '\n',
);
