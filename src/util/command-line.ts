/** The command line as typed, for model cards. */
export function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['qdistill', ...process.argv.slice(2)].map(quote).join(' ');
}
