// Memory of this process and every process it started (a runtime may run the model in another process,
// e.g. Chromium for the `browser` runtime). On Linux the tree is read from /proc and each process counts
// its proportional set size (PSS: shared pages split among the processes sharing them, so Chromium's
// many processes are not counted many times over); elsewhere only this process's RSS is seen.
import { readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type MemoryScope = 'PSS of the node process and its child processes' | 'RSS of the node process and its child processes' | 'RSS of the node process';

export interface MemorySample {
  bytes: number;
  scope: MemoryScope;
}

const PAGE_SIZE = 4096;

function parentOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // the process ended while we were looking
  }
}

/** PSS in bytes from smaps_rollup (Linux ≥ 4.14), or null where the kernel lacks it. */
function proportionalBytes(pid: number): number | null {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function residentBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(entry);
    if (parent === null) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) for (const child of children.get(queue.pop()!) ?? []) found.push(child), queue.push(child);
  return found;
}

export function sampleMemory(): MemorySample {
  if (process.platform !== 'linux') return { bytes: process.memoryUsage.rss(), scope: 'RSS of the node process' };
  try {
    const tree = [process.pid, ...descendantsOf(process.pid)];
    if (proportionalBytes(process.pid) !== null) {
      return { bytes: tree.reduce((sum, pid) => sum + (proportionalBytes(pid) ?? 0), 0), scope: 'PSS of the node process and its child processes' };
    }
    return { bytes: tree.reduce((sum, pid) => sum + residentBytes(pid), 0), scope: 'RSS of the node process and its child processes' };
  } catch {
    return { bytes: process.memoryUsage.rss(), scope: 'RSS of the node process' };
  }
}

/** Frees the garbage of earlier measurements so that it does not count against the next model's baseline. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Peak growth over a baseline, sampled whenever `sample()` is called (between measurements, not inside them). */
export class PeakMemory {
  private readonly baseline: MemorySample;
  private peak: number;

  constructor() {
    collectGarbage();
    this.baseline = sampleMemory();
    this.peak = this.baseline.bytes;
  }

  sample(): void {
    this.peak = Math.max(this.peak, sampleMemory().bytes);
  }

  result(): { peakDeltaBytes: number; baselineBytes: number; scope: MemoryScope } {
    return { peakDeltaBytes: Math.max(0, this.peak - this.baseline.bytes), baselineBytes: this.baseline.bytes, scope: this.baseline.scope };
  }
}
