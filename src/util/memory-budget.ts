// Refusing, before any work, a run that cannot fit in memory: each stage estimates the bytes its largest
// buffers take from the flags that size them, and a run whose total exceeds what this machine has is one
// line naming the flag that costs most, instead of an "Invalid typed array length" or a process killed by
// the kernel an hour in.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { UsageError } from './errors.js';

/** One buffer a run will allocate: what sizes it (the flag and its value, in words) and its bytes. */
export interface MemoryNeed {
  /** What sizes it, as the user wrote it, e.g. "--buffer-size 1000000 (the replay buffer)". */
  what: string;
  /** Its estimated size in bytes. */
  bytes: number;
  /** Elements of its largest single typed array, if it is one (JavaScript caps one array at 2³² − 1 elements). */
  elements?: number;
}

/** The most elements one typed array may hold (V8 on 64-bit). */
export const MAX_TYPED_ARRAY_ELEMENTS = 2 ** 32 - 1;

/** Share of the machine's memory a run may plan to use: the rest is for the runtime, tfjs and the OS. */
const USABLE_SHARE = 0.8;

/** A cgroup (container) memory limit, if one is set. */
function cgroupLimit(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const value = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(value) && value > 0 && value < 2 ** 60) return value;
    } catch {
      // no such controller here
    }
  }
  return undefined;
}

/**
 * The bytes a run may plan for: `QDISTILL_MEMORY_LIMIT` (bytes, or with a K/M/G suffix) if set, else 80% of
 * the smaller of the machine's memory and its container's limit.
 */
export function memoryBudgetBytes(): number {
  const override = process.env.QDISTILL_MEMORY_LIMIT;
  if (override) {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(override);
    if (!match) throw new UsageError(`QDISTILL_MEMORY_LIMIT must be a size such as 8G or 8589934592, not ${JSON.stringify(override)}`);
    const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
    return Number(match[1]) * scale;
  }
  const limit = Math.min(totalmem(), cgroupLimit() ?? Infinity);
  return limit * USABLE_SHARE;
}

/** Bytes in words: 1.5 GiB, 320 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Throws a one-line UsageError when the needs together exceed {@link memoryBudgetBytes}, or one of them is
 * larger than one JavaScript array can be. The message names the costliest need and the estimate.
 */
export function checkMemoryNeeds(needs: readonly MemoryNeed[], where?: string): void {
  const total = needs.reduce((sum, n) => sum + n.bytes, 0);
  const budget = memoryBudgetBytes();
  if (!(total <= budget)) {
    const costliest = needs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    throw new UsageError(
      `this run needs about ${formatBytes(total)} of memory, more than the ${formatBytes(budget)} it may use here; most of it is ${costliest.what}: ${formatBytes(costliest.bytes)}`,
      where,
    );
  }
  const tooLong = needs.find((n) => (n.elements ?? 0) > MAX_TYPED_ARRAY_ELEMENTS);
  if (tooLong) {
    throw new UsageError(`${tooLong.what} needs one array of ${tooLong.elements!.toExponential(2)} values, more than the ${MAX_TYPED_ARRAY_ELEMENTS.toExponential(2)} JavaScript allows: make it smaller`, where);
  }
}

/** Weights and biases of dense layers from `inputs` features through each hidden size to `outputs`. */
export function denseParameters(inputs: number, hidden: readonly number[], outputs: number): number {
  let count = 0;
  let width = inputs;
  for (const h of [...hidden, outputs]) {
    count += width * h + h;
    width = h;
  }
  return count;
}
