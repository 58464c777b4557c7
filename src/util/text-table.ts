import { escapeControl } from './escape.js';

/**
 * A plain-text table: columns padded to their widest cell, a rule under the headers. Cells come from model
 * files and paths too, so control characters are printed escaped: a name cannot break a row or the terminal.
 */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))].map((r) => r.map(escapeControl));
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
