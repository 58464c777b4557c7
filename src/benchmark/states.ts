// The observations a benchmark feeds: states the model itself visits playing its environment (so
// activations look like real ones, e.g. ReLUs neither all on nor all off), collected once per model in
// onnxruntime-node and reused for every runtime.
import { observationSize } from '../envs/types.js';
import { openPolicyBytes } from '../infer/open.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import { visitedStates } from '../rollout/visited-states.js';

export const BENCH_STATE_SEED = 4242;
export const BENCH_STATE_COUNT = 1024;

export interface BenchStates {
  observations: Float32Array;
  count: number;
  perObservation: number;
}

export async function benchStates(
  bytes: Uint8Array,
  file: string,
  env: string | undefined,
  count = BENCH_STATE_COUNT,
  read: Pick<RuntimeOptions, 'output' | 'allowFp16'> = {},
): Promise<BenchStates> {
  const policy = await openPolicyBytes(bytes, file, { env, runtime: 'ort-cpu', output: read.output, allowFp16: read.allowFp16 });
  try {
    const { observations } = await visitedStates(policy, count, BENCH_STATE_SEED);
    return { observations, count, perObservation: observationSize(policy.spec) };
  } finally {
    await policy.dispose();
  }
}

/** `batch` observations starting at state `offset`, wrapping around (batches larger than the set repeat it). */
export function batchOf(states: BenchStates, batch: number, offset = 0): Float32Array {
  const out = new Float32Array(batch * states.perObservation);
  for (let i = 0; i < batch; i++) {
    const s = (offset + i) % states.count;
    out.set(states.observations.subarray(s * states.perObservation, (s + 1) * states.perObservation), i * states.perObservation);
  }
  return out;
}
