// Single-observation latency in onnxruntime-node (CPU EP, 1 thread) of each policy as float32, float16
// weights, int8 weights and dynamic int8, interleaved in one run so that the ratios to float32 are trustworthy on a
// shared machine. Usage: node --import tsx bench/compress-latency.ts [file...]  → JSON on stdout
import { readFileSync } from 'node:fs';
import { fp16Pass } from '../src/compress/fp16.js';
import { runPass } from '../src/compress/pass.js';
import { weightQuantizationPass } from '../src/compress/quantize-weights.js';
import { dynamicQuantizationPass } from '../src/compress/quantize-dynamic.js';
import { decodeModel, encodeModel } from '../src/onnx/model.js';
import { interleavedLatency, ORT_CPU_ONE_THREAD } from './interleaved.js';
import { nearestRank as percentile } from '../src/util/stats.js';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['models/cartpole-v1/teacher.onnx', 'models/cartpole-v1-student-16x16/student.onnx', 'models/lunarlander-v3-student-64x64/student.onnx', 'models/minatar-breakout/teacher.onnx'];
const ROUNDS = 20;
const RUNS_PER_ROUND = 500;

const results = [];
for (const file of files) {
  const original = decodeModel(readFileSync(file), file);
  const variants: Record<string, Uint8Array> = {
    fp32: encodeModel(original),
    fp16: encodeModel(runPass(fp16Pass, original, {}).model),
    'int8-weights': encodeModel(runPass(weightQuantizationPass, original, { perChannel: true }).model),
    'int8-dynamic': encodeModel(runPass(dynamicQuantizationPass, original, { perChannel: true, keepInputLayer: true }).model),
  };
  const samples = await interleavedLatency(variants, original, ROUNDS, RUNS_PER_ROUND);
  const row: Record<string, unknown> = { file };
  const p50fp32 = percentile(samples.fp32, 0.5);
  for (const [name, sorted] of Object.entries(samples)) {
    row[name] = {
      bytes: variants[name].length,
      p50_us: Number(percentile(sorted, 0.5).toFixed(1)),
      p90_us: Number(percentile(sorted, 0.9).toFixed(1)),
      p99_us: Number(percentile(sorted, 0.99).toFixed(1)),
      p50_vs_fp32: Number((percentile(sorted, 0.5) / p50fp32).toFixed(2)),
    };
  }
  results.push(row);
  process.stderr.write(`${file} done\n`);
}
process.stdout.write(JSON.stringify({ runtime: ORT_CPU_ONE_THREAD, runsPerVariant: ROUNDS * RUNS_PER_ROUND, results }, null, 2) + '\n');
