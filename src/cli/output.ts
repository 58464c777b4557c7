// What commands print: a table or JSON on stdout, progress on stderr (a bar on a TTY, JSON lines otherwise).
import cliProgress from 'cli-progress';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

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
