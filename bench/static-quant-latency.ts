// Static int8 (QDQ and QOperator) against float32: bytes, largest output error and action agreement on 1,000
// visited states, and single-observation latency in onnxruntime-node (CPU EP, 1 thread), the variants
// interleaved in one run so that the ratios to float32 are trustworthy on a shared machine.
// Usage: node --import tsx bench/static-quant-latency.ts [file...]  → JSON on stdout
import { readFileSync } from 'node:fs';
import { calibrate } from '../src/compress/calibrate.js';
import type { CalibrationMethod } from '../src/compress/calibration-methods.js';
import { compareOnEnvStates } from '../src/compress/compare.js';
import { runPass } from '../src/compress/pass.js';
import { probesForStaticPass, staticQuantizationPass } from '../src/compress/quantize-static.js';
import { decodeModel, encodeModel } from '../src/onnx/model.js';
import { interleavedLatency, ORT_CPU_ONE_THREAD } from './interleaved.js';
import { nearestRank as percentile } from '../src/util/stats.js';
import { loadModelBytes } from '../src/onnx/read-bytes.js';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['models/cartpole-v1-student-16x16/student.onnx', 'models/lunarlander-v3-student-64x64/student.onnx', 'models/cartpole-v1/teacher.onnx', 'models/minatar-breakout/teacher.onnx'];
const METHOD = (process.env.METHOD ?? 'entropy') as CalibrationMethod;
const ROUNDS = 10;
const RUNS_PER_ROUND = 500;

const results = [];
for (const file of files) {
  const bytes = new Uint8Array(readFileSync(file));
  const original = decodeModel(bytes, file);
  const variants: Record<string, Uint8Array> = { fp32: bytes };
  for (const format of ['qdq', 'qoperator'] as const) {
    const { ranges } = await calibrate(loadModelBytes(bytes, file), probesForStaticPass(original, { format, keepInputLayer: true }), { settings: { method: METHOD } });
    variants[`int8-static-${format}`] = encodeModel(runPass(staticQuantizationPass, original, { format, perChannel: true, keepInputLayer: true, ranges }).model);
  }
  const samples = await interleavedLatency(variants, original, ROUNDS, RUNS_PER_ROUND);
  const row: Record<string, unknown> = { file, method: METHOD, perChannel: true };
  const p50fp32 = percentile(samples.fp32, 0.5);
  for (const [name, sorted] of Object.entries(samples)) {
    const c = name === 'fp32' ? null : await compareOnEnvStates(loadModelBytes(bytes, 'original'), loadModelBytes(variants[name], 'compressed'), undefined);
    row[name] = {
      bytes: variants[name].length,
      ...(c ? { maxAbsError: Number(c.maxAbsError.toPrecision(3)), maxAbsOutput: Number(c.maxAbsOutput.toPrecision(3)), agreement: c.agreement } : {}),
      p50_us: Number(percentile(sorted, 0.5).toFixed(1)),
      p99_us: Number(percentile(sorted, 0.99).toFixed(1)),
      p50_vs_fp32: Number((percentile(sorted, 0.5) / p50fp32).toFixed(2)),
    };
  }
  results.push(row);
  process.stderr.write(`${file} done\n`);
}
process.stdout.write(JSON.stringify({ runtime: ORT_CPU_ONE_THREAD, runsPerVariant: ROUNDS * RUNS_PER_ROUND, results }, null, 2) + '\n');
