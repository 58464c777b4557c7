// What commands print: a table or JSON on stdout, progress on stderr (a bar on a TTY, JSON lines otherwise).
export { formatTable } from '../util/text-table.js';
export { progressBars, startProgress, type Progress } from './progress.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
