// Runs the real CLI in a child process: the build (dist/, made from src/ by ensureBuilt when it is stale),
// as users run it. Starting it costs about half a second less than the sources through tsx, on every call.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../support/build.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let built = false;
const args = (cliArgs: string[]) => {
  if (!built) {
    ensureBuilt();
    built = true;
  }
  return ['bin/qdistill', ...cliArgs];
};

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(cliArgs: string[], timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, args(cliArgs), { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function startCli(cliArgs: string[]): ChildProcess {
  return spawn(process.execPath, args(cliArgs), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** stderr lines that are ours (Dawn prints its own Vulkan warnings when the webgpu package probes for a GPU). */
export function ourLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('qdistill:'));
}
