// Helpers of the file-safety tests: the real CLI in child processes (asynchronously, so that several run side
// by side), a seeded random generator for kill moments, and what a folder holds that it should not.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Finished>;
}

/** Starts `node --import tsx src/cli/index.ts ...args` in the repository root. */
export function startCli(args: string[], options: { shell?: string } = {}): Running {
  const argv = ['--import', 'tsx', 'src/cli/index.ts', ...args];
  const child = options.shell
    ? spawn('bash', ['-c', `${options.shell}; exec "$0" "$@"`, process.execPath, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Finished>((resolve) => child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}

/** Runs the CLI to its end. */
export function runCli(args: string[], options: { shell?: string } = {}): Promise<Finished> {
  return startCli(args, options).done;
}

/** stderr lines that are ours. */
export function ourLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('qdistill:'));
}

/** mulberry32: the kill moments are random but the same on every run of the suite. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every path under `dir` (relative), folders included, sorted. */
export function listAll(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      out.push(rel);
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
    }
  };
  walk('');
  return out.sort();
}

/** What a finished run must not leave anywhere under `dir`: temp files or folders, and lock files. */
export function leftovers(dir: string): string[] {
  return listAll(dir).filter((p) => p.split('/').some((part) => part.startsWith('.tmp-') || part === '.qdistill.lock' || part.startsWith('.old-')));
}

/** Kills a child with SIGKILL and waits for it; returns how it ended. */
export async function kill9(run: Running): Promise<Finished> {
  run.child.kill('SIGKILL');
  return run.done;
}
