// A policy file's outputs computed with a bare onnxruntime-node session (none of qdistill's runtime code), and
// the action agreement of two such outputs: the independent side of the compression tests' checks.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { toFloat16Bits } from '../../src/onnx/tensor.js';

export interface DirectRun {
  /** Values per observation (CartPole: 4). */
  size: number;
  /** The graph output to read (default: the first). */
  output?: string;
  /** Feed float16 (the file's input is float16) and read its float16 output as numbers. */
  float16?: boolean;
  /** One observation per run (dynamic int8: its ranges are measured per call), else one batch. */
  oneByOne?: boolean;
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The chosen output of `file` on `count` observations, as float32. */
export async function directOutputs(file: string, observations: Float32Array, count: number, o: DirectRun): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(readFileSync(file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const output = o.output ?? session.outputNames[0];
  const run = async (data: Float32Array, batch: number): Promise<Float32Array> => {
    const input = o.float16
      ? new ort.Tensor('float16', Uint16Array.from(data, (v) => toFloat16Bits(v)), [batch, o.size])
      : new ort.Tensor('float32', data, [batch, o.size]);
    const values = (await session.run({ [session.inputNames[0]]: input }))[output].data;
    return o.float16 ? Float32Array.from(values as Uint16Array, halfToNumber) : Float32Array.from(values as Float32Array);
  };
  try {
    if (!o.oneByOne) return await run(observations.subarray(0, count * o.size), count);
    const parts: Float32Array[] = [];
    for (let s = 0; s < count; s++) parts.push(await run(observations.subarray(s * o.size, (s + 1) * o.size), 1));
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.forEach((p, i) => out.set(p, i * p.length));
    return out;
  } finally {
    await session.release();
  }
}

/** Share of rows (of `actions` values) whose largest value is at the same index (first on ties). */
export function agreementOf(a: Float32Array, b: Float32Array, actions: number): number {
  const best = (x: Float32Array, row: number) => {
    let k = 0;
    for (let j = 1; j < actions; j++) if (x[row * actions + j] > x[row * actions + k]) k = j;
    return k;
  };
  let same = 0;
  const rows = a.length / actions;
  for (let r = 0; r < rows; r++) if (best(a, r) === best(b, r)) same++;
  return same / rows;
}

/** Largest |a − b|. */
export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
