// The latency table's rows, shared by `qdistill bench` (plain text), the compare report's Markdown and HTML.
import type { LatencyResult } from './latency.js';

export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '-';
  return us < 10 ? us.toFixed(2) : us < 1000 ? us.toFixed(1) : Math.round(us).toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k`;
  return perSecond.toFixed(0);
}

/** Headers and rows: model, runtime, bytes, cold start, p50/p90/p99 µs, obs/s per batch, peak memory, in-engine. */
export function latencyTable(results: LatencyResult[], batches: number[], label: (file: string) => string = (f) => f): { headers: string[]; rows: string[][] } {
  const withInEngine = results.some((r) => r.inEngine);
  const headers = [
    'model',
    'runtime',
    'bytes',
    'cold start',
    'p50 µs',
    'p90 µs',
    'p99 µs',
    ...batches.map((b) => `obs/s @${b}`),
    'peak memory',
    ...(withInEngine ? ['in-engine p50/p99 µs'] : []),
  ];
  const rows = results.map((r) => [
    label(r.file),
    r.runtime,
    r.bytes.toLocaleString('en-US'),
    `${r.coldStartMs.toFixed(1)} ms`,
    formatMicros(r.single.p50Us),
    formatMicros(r.single.p90Us),
    formatMicros(r.single.p99Us),
    ...batches.map((b) => {
      const t = r.throughput.find((x) => x.batch === b);
      return t ? formatRate(t.observationsPerSecond) : '-';
    }),
    `+${formatBytes(r.memory.peakDeltaBytes)}`,
    ...(withInEngine ? [r.inEngine ? `${formatMicros(r.inEngine.p50Us)} / ${formatMicros(r.inEngine.p99Us)}` : '-'] : []),
  ]);
  return { headers, rows };
}

/** What "peak memory" measured: one sentence, or one per group of runtimes where they differ. */
export function memoryNote(results: LatencyResult[]): string {
  const byWhat = new Map<string, Set<string>>();
  for (const r of results) byWhat.set(r.memory.measured, (byWhat.get(r.memory.measured) ?? new Set()).add(r.runtime));
  if (byWhat.size <= 1) return [...byWhat.keys()][0] ?? '-';
  return [...byWhat].map(([what, runtimes]) => `${[...runtimes].join(', ')}: ${what}`).join('; ');
}
