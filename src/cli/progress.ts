// What the CLI draws for progress on stderr: a bar on an interactive terminal, JSON lines otherwise (at most
// one a second per task). Stages report through OnProgress callbacks; this turns them into bars.
import { createRequire } from 'node:module';
import type { OnProgress, ProgressEvent } from '../util/progress.js';

// Loaded on the first bar: most runs (pipes, CI, --help) never draw one.
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/** A progress bar on an interactive stderr, else one JSON line per update (at most one a second). */
export function startProgress(label: string, total: number, fieldsFormat = ''): Progress {
  if (process.stderr.isTTY) {
    const cliProgress = loadCliProgress();
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} ${fieldsFormat} eta {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    const placeholders = Object.fromEntries([...fieldsFormat.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], '-']));
    bar.start(total, 0, placeholders);
    return { update: (done, fields) => bar.update(done, fields ?? {}), stop: () => bar.stop() };
  }
  let last = 0;
  return {
    update(done, fields) {
      const now = Date.now();
      if (now - last < 1000 && done < total) return;
      last = now;
      process.stderr.write(JSON.stringify({ progress: label, done, total, ...fields }) + '\n');
    },
    stop() {},
  };
}

/**
 * An OnProgress that draws one bar per task: a new bar when the task (or its total) changes, closed when it
 * reaches its total. Fields named in the first event are shown beside the bar.
 */
export function progressBars(): OnProgress & { stop(): void } {
  let current: { task: string; total: number; bar: Progress } | null = null;
  const stop = () => {
    current?.bar.stop();
    current = null;
  };
  const onProgress = (event: ProgressEvent) => {
    if (!current || current.task !== event.task || current.total !== event.total || event.done === 0) {
      stop();
      const format = Object.keys(event.fields ?? {}).map((k) => `${k} {${k}}`).join(' ');
      current = { task: event.task, total: event.total, bar: startProgress(event.task, event.total, format) };
    }
    current.bar.update(event.done, event.fields);
    if (event.done >= event.total) stop();
  };
  return Object.assign(onProgress, { stop });
}
