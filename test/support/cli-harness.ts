// Runs many command lines in one process, each through the CLI's own main() in a fresh empty folder, and
// prints one JSON line per case on fd 1: exit code, what it wrote on stderr, the files it left, its time and
// the process's peak memory so far. A case that hangs stops the output, which the test notices and names.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { badInputs } from '../cli/bad-inputs.js';

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = prefix + e.name;
    return e.isDirectory() ? [path + '/', ...filesUnder(join(dir, e.name), path + '/')] : [path];
  });
}

const cases = badInputs();
const [from, to] = (process.argv[2] ?? `0:${cases.length}`).split(':').map(Number);
const root = mkdtempSync(join(tmpdir(), 'qdistill-bad-input-'));
const home = process.cwd();
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

for (let i = from; i < Math.min(to, cases.length); i++) {
  const c = cases[i];
  const dir = join(root, String(i));
  mkdirSync(dir);
  const caseDir = dir;
  c.setup?.(caseDir);
  const before = new Set(filesUnder(caseDir));
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(c.env ?? {})) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let stderr = '';
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  process.chdir(caseDir);
  const start = performance.now();
  let code: number;
  try {
    code = await main(c.args);
  } catch (error) {
    code = -1;
    stderr += `main threw: ${(error as Error)?.stack ?? String(error)}\n`;
  } finally {
    process.chdir(home);
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const left = filesUnder(caseDir).filter((f) => !before.has(f));
  writeSync(1, JSON.stringify({ index: i, code, stderr, left, seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
}
rmSync(root, { recursive: true, force: true });
process.exit(0);
