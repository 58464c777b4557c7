// `--runtime auto`: time one-observation calls of this very model on every runtime that can run here and
// pick the fastest. Tiny MLPs win on `js` (no call overhead), large CNNs on onnxruntime; measuring is
// more honest than a size rule. The browser runtime is left out: its every call crosses a process boundary.
import { observationSize } from '../envs/types.js';
import { Rng } from '../envs/rng.js';
import { openPolicyBytes, RUNTIME_REGISTRY } from './open.js';
import type { RuntimeOptions } from './runtime.js';

export const AUTO_EXCLUDED = new Set(['browser']);

export interface AutoChoice {
  runtime: string;
  /** Median microseconds per single-observation call, per runtime timed. */
  timings: Record<string, number>;
  /** Runtimes that could not run here, with their reason. */
  skipped: Record<string, string>;
}

async function medianCallMicros(bytes: Uint8Array, file: string, runtime: string, options: RuntimeOptions & { env?: string }): Promise<number> {
  const policy = await openPolicyBytes(bytes, file, { ...options, runtime });
  try {
    const rng = new Rng(7);
    const size = observationSize(policy.spec);
    const observations = Array.from({ length: 64 }, () => Float32Array.from({ length: size }, () => rng.normal()));
    for (let i = 0; i < 50; i++) await policy.act(observations[i % 64]);
    const times: number[] = [];
    const deadline = performance.now() + 250;
    // Batches of calls, so the timer's resolution does not dominate sub-microsecond runtimes.
    while (times.length < 5 || (performance.now() < deadline && times.length < 200)) {
      const start = performance.now();
      for (let i = 0; i < 16; i++) await policy.act(observations[i]);
      times.push(((performance.now() - start) * 1000) / 16);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
  } finally {
    await policy.dispose();
  }
}

export async function chooseFastestRuntime(bytes: Uint8Array, file: string, options: RuntimeOptions & { env?: string } = {}): Promise<AutoChoice> {
  const timings: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  for (const runtime of Object.values(RUNTIME_REGISTRY)) {
    if (AUTO_EXCLUDED.has(runtime.name)) continue;
    const reason = await runtime.unavailableReason();
    if (reason) {
      skipped[runtime.name] = reason;
      continue;
    }
    try {
      timings[runtime.name] = await medianCallMicros(bytes, file, runtime.name, options);
    } catch (error) {
      skipped[runtime.name] = (error as Error).message;
    }
  }
  const ranked = Object.entries(timings).sort((a, b) => a[1] - b[1]);
  if (ranked.length === 0) throw new Error(`no runtime can run ${file}: ${JSON.stringify(skipped)}`);
  return { runtime: ranked[0][0], timings, skipped };
}

export function describeAutoChoice(choice: AutoChoice): string {
  const timed = Object.entries(choice.timings).sort((a, b) => a[1] - b[1]).map(([name, us]) => `${name} ${us < 10 ? us.toFixed(2) : us.toFixed(1)} µs`);
  return `runtime auto → ${choice.runtime} (median per call: ${timed.join(', ')})`;
}
