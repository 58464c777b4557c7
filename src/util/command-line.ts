import { relative } from 'node:path';

/**
 * The command line as typed, for model cards: `qdistill …` under the CLI, `node <script> …` when a program
 * calls the library.
 */
export function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const script = process.argv[1] ?? '';
  const viaCli = /(^|[\\/])(qdistill|cli[\\/]index\.[jt]s)$/.test(script);
  const head = viaCli ? ['qdistill'] : ['node', relative(process.cwd(), script) || script];
  return [...head, ...process.argv.slice(2)].map(quote).join(' ');
}
