// Single-observation latency of several ONNX files in onnxruntime-node (CPU EP, 1 thread), interleaved: each
// round runs every file in turn, so that a shared machine's slow moments hit all of them alike and the
// ratios between them hold. Shared by the compression benches.
import * as ort from 'onnxruntime-node';
import type { ModelProto } from '../src/onnx/model.js';

export const ORT_CPU_ONE_THREAD = `onnxruntime-node ${ort.env.versions.node}, CPU EP, 1 thread`;

/** Microseconds per session.run of a [1, ...] float32 input filled with 0.1, per variant. */
export async function interleavedLatency(variants: Record<string, Uint8Array>, original: ModelProto, rounds: number, runsPerRound: number): Promise<Record<string, number[]>> {
  const sessions: Record<string, { session: ort.InferenceSession; feeds: Record<string, ort.Tensor> }> = {};
  const dims = [1, ...original.graph!.input[0].type!.tensorType!.shape!.dim.slice(1).map((d) => Number(d.dimValue ?? 1))];
  for (const [name, model] of Object.entries(variants)) {
    const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    sessions[name] = { session, feeds: { [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.1), dims) } };
    for (let i = 0; i < 200; i++) await session.run(sessions[name].feeds); // warm-up
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, { session, feeds }] of Object.entries(sessions)) {
      for (let i = 0; i < runsPerRound; i++) {
        const start = process.hrtime.bigint();
        await session.run(feeds);
        samples[name].push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  for (const { session } of Object.values(sessions)) await session.release();
  for (const values of Object.values(samples)) values.sort((a, b) => a - b);
  return samples;
}
