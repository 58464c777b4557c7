// The corpus of issue 12 as a Markdown table for the release note: every file of test/corpus/make_corpus.py
// through every command of the built CLI (the runner test/corpus/corpus.test.ts uses), one row per file.
//   node --import tsx bench/corpus-table.ts > corpus-table.md      (QDISTILL_CORPUS_CONCURRENCY, default 3)
// A cell is ok, exit 2 [n] (footnote n is the one-line message), exit 1 [n] (internal error), or other [n];
// "todo" marks cells test/corpus/expectations.ts expects to fail until a feature lands, "documented" a refusal
// the docs promise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../test/support/build.js';
import { expectationOf } from '../test/corpus/expectations.js';
import { CHECKPOINT_COMMANDS, makeCorpus, ONNX_COMMANDS, runAll, summarize, type CellResult, type Command } from '../test/corpus/runner.js';

const concurrency = Number(process.env.QDISTILL_CORPUS_CONCURRENCY ?? 3);
const started = performance.now();
ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'qdistill-corpus-table-'));
try {
  const manifest = makeCorpus(dir);
  const results = await runAll(dir, manifest, concurrency, (r) => process.stderr.write(`${r.file} × ${r.command}: ${r.outcome}\n`));
  const byKey = new Map(results.map((r) => [`${r.file} ${r.command}`, r]));
  const columns: Command[] = [...ONNX_COMMANDS, ...CHECKPOINT_COMMANDS];
  const notes: string[] = [];
  const noteOf = (text: string) => {
    const i = notes.indexOf(text);
    return (i >= 0 ? i : notes.push(text) - 1) + 1;
  };
  const escape = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const cellText = (r: CellResult | undefined): string => {
    if (!r) return '—';
    const expected = expectationOf(r.file, r.command);
    const todo = typeof expected === 'object' && !(expected instanceof RegExp);
    if (r.outcome === 'ok') return todo ? 'ok (todo passes)' : 'ok';
    const label = r.outcome === 'exit2' ? 'exit 2' : r.outcome === 'exit1' ? 'exit 1' : 'other';
    const message = summarize(r).replace(/^[^:]*\): |^exit [12]: /, '').replace(/ \(\/[^)]*\)$/, '').replace(dir + '/', '');
    const tag = todo ? ' todo' : expected instanceof RegExp && r.outcome === 'exit2' && expected.test(r.messages[0]?.replace(/^qdistill: /, '') ?? '') ? ' documented' : '';
    return `${label} [${noteOf(`${label}: ${message}`)}]${tag}`;
  };
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  const lines = [
    `## Corpus: ${Object.keys(manifest).length} user-made files × ${ONNX_COMMANDS.length} commands (+ import for checkpoints)`,
    '',
    `${results.length} cells: ${['ok', 'exit2', 'exit1', 'other'].map((o) => `${counts[o] ?? 0} ${o.replace('exit', 'exit ')}`).join(', ')}. ` +
      `Built CLI, ${concurrency} at a time, ${((performance.now() - started) / 1000).toFixed(0)} s in all. Files from test/corpus/make_corpus.py (torch 1.13).`,
    '',
    `| file | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...Object.keys(manifest).map((file) => `| ${file} | ${columns.map((c) => cellText(byKey.get(`${file} ${c}`))).join(' | ')} |`),
    '',
    ...notes.map((n, i) => `${i + 1}. ${escape(n)}`),
    '',
    '**Files**',
    '',
    ...Object.entries(manifest).map(([file, e]) => `- \`${file}\` (${e.env}): ${escape(e.made)}${e.notes ? ` — ${escape(e.notes)}` : ''}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
