// Runs several command lines, one after another, through the CLI's own main() in this process, and prints one
// JSON array on fd 1: each line's exit code, stdout and stderr. For tests that check what commands print
// without a process per command line; it runs as a child, because a test process's own stdout carries the
// test runner's report, which capturing it would swallow.
//
// usage: node --import tsx test/support/main-runs.ts '[["export", "triton", …], …]'
import { writeSync } from 'node:fs';
import { main } from '../../src/cli/main.js';

/** What one command line did. */
export interface MainRun {
  /** What main() returned: 0 done, 2 bad input, 1 a bug (-1: it threw, which it never should). */
  code: number;
  /** What the command printed on stdout. */
  stdout: string;
  /** What it printed on stderr. */
  stderr: string;
}

const lines = JSON.parse(process.argv[2] ?? '[]') as string[][];
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
const runs: MainRun[] = [];
for (const args of lines) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += Buffer.from(chunk).toString('utf8')), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += Buffer.from(chunk).toString('utf8')), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(args);
  } catch (error) {
    code = -1;
    stderr += `main threw: ${(error as Error)?.stack ?? String(error)}\n`;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  runs.push({ code, stdout, stderr });
}
writeSync(1, JSON.stringify(runs) + '\n');
process.exit(0);
