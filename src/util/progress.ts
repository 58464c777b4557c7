// Progress on stderr: a bar on an interactive terminal, JSON lines otherwise (at most one a second).
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/** A progress bar on an interactive stderr, else one JSON line per update (at most one a second). */
export function startProgress(label: string, total: number, fieldsFormat = ''): Progress {
  if (process.stderr.isTTY) {
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
