// Static int8 (QDQ and QOperator) against float32: bytes, largest output error and action agreement on 1,000
// visited states, and single-observation latency in onnxruntime-node (CPU EP, 1 thread), the variants
// interleaved in one run so that the ratios to float32 are trustworthy on a shared machine.
// Usage: node --import tsx bench/static-quant-latency.ts [file...]  → JSON on stdout
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { calibrate } from '../src/compress/calibrate.js';
import type { CalibrationMethod } from '../src/compress/calibration-methods.js';
import { compareOnEnvStates } from '../src/compress/compare.js';
import { runPass } from '../src/compress/pass.js';
import { probesForStaticPass, staticQuantizationPass } from '../src/compress/quantize-static.js';
import { decodeModel, encodeModel } from '../src/onnx/model.js';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['models/cartpole-v1-student-16x16/student.onnx', 'models/lunarlander-v3-student-64x64/student.onnx', 'models/cartpole-v1/teacher.onnx', 'models/minatar-breakout/teacher.onnx'];
const METHOD = (process.env.METHOD ?? 'entropy') as CalibrationMethod;
const ROUNDS = 10;
const RUNS_PER_ROUND = 500;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

const results = [];
for (const file of files) {
  const bytes = new Uint8Array(readFileSync(file));
  const original = decodeModel(bytes, file);
  const variants: Record<string, Uint8Array> = { fp32: bytes };
  for (const format of ['qdq', 'qoperator'] as const) {
    const { ranges } = await calibrate(bytes, file, probesForStaticPass(original, { format, keepInputLayer: true }), { settings: { method: METHOD } });
    variants[`int8-static-${format}`] = encodeModel(runPass(staticQuantizationPass, original, { format, perChannel: true, keepInputLayer: true, ranges }).model);
  }
  const sessions: Record<string, { session: ort.InferenceSession; feeds: Record<string, ort.Tensor> }> = {};
  for (const [name, model] of Object.entries(variants)) {
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const dims = [1, ...original.graph!.input[0].type!.tensorType!.shape!.dim.slice(1).map((d) => d.dimValue ?? 1)];
    sessions[name] = { session, feeds: { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.1), dims) } };
    for (let i = 0; i < 200; i++) await session.run(sessions[name].feeds); // warm-up
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { session, feeds }] of Object.entries(sessions)) {
      for (let i = 0; i < RUNS_PER_ROUND; i++) {
        const start = process.hrtime.bigint();
        await session.run(feeds);
        samples[name].push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  const row: Record<string, unknown> = { file, method: METHOD, perChannel: true };
  const p50fp32 = percentile([...samples.fp32].sort((a, b) => a - b), 0.5);
  for (const [name, values] of Object.entries(samples)) {
    const sorted = values.sort((a, b) => a - b);
    const c = name === 'fp32' ? null : await compareOnEnvStates(bytes, variants[name], undefined);
    row[name] = {
      bytes: variants[name].length,
      ...(c ? { maxAbsError: Number(c.maxAbsError.toPrecision(3)), maxAbsOutput: Number(c.maxAbsOutput.toPrecision(3)), agreement: c.agreement } : {}),
      p50_us: Number(percentile(sorted, 0.5).toFixed(1)),
      p99_us: Number(percentile(sorted, 0.99).toFixed(1)),
      p50_vs_fp32: Number((percentile(sorted, 0.5) / p50fp32).toFixed(2)),
    };
  }
  for (const { session } of Object.values(sessions)) await session.release();
  results.push(row);
  process.stderr.write(`${file} done\n`);
}
process.stdout.write(JSON.stringify({ runtime: `onnxruntime-node ${ort.env.versions.node}, CPU EP, 1 thread`, runsPerVariant: ROUNDS * RUNS_PER_ROUND, results }, null, 2) + '\n');
