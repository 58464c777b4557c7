// Runs the real CLI (TypeScript sources through tsx) in a child process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = (cliArgs: string[]) => ['--import', 'tsx', 'src/cli/index.ts', ...cliArgs];

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
