// Every command, driven with a table of bad inputs (test/cli/bad-inputs.ts): each must end with exactly one
// line `qdistill: …` on stderr and exit code 2, within a time and memory bound, leaving no file behind. The
// table runs through the CLI's main() in one process (test/support/cli-harness.ts) so that hundreds of cases
// take seconds; a sample also runs as real `qdistill` processes, which must answer the same.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { badInputs, type BadInput } from './bad-inputs.js';
import { ROOT } from './run-cli.js';

/** A case that takes longer than this has hung (or started real work): the harness is stopped and the case named. */
const CASE_SECONDS = 60;
/** Peak memory of the process that ran every case: nothing may allocate what a bad size asked for. */
const MAX_RSS_BYTES = 2 * 2 ** 30;

interface Outcome {
  index: number;
  code: number;
  stderr: string;
  left: string[];
  seconds: number;
  maxRssBytes: number;
}

/** Runs the harness over all cases, stopping it if no case finishes for CASE_SECONDS. */
function runHarness(): Promise<{ outcomes: Outcome[]; stuck?: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-harness.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const outcomes: Outcome[] = [];
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout;
    let stuck: number | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stuck = (outcomes.at(-1)?.index ?? -1) + 1;
        child.kill('SIGKILL');
      }, CASE_SECONDS * 1000);
    };
    arm();
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.trim()) outcomes.push(JSON.parse(line) as Outcome);
      arm();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ outcomes, stuck, stderr });
    });
  });
}

function problems(c: BadInput, o: { code: number | null; stderr: string; left: string[] }): string[] {
  const found: string[] = [];
  const lines = o.stderr.split('\n').filter((l) => l !== '');
  if (o.code !== 2) found.push(`exit code ${o.code}, not 2`);
  if (lines.length !== 1 || !lines[0].startsWith('qdistill: ')) found.push(`stderr is not one 'qdistill: ' line: ${JSON.stringify(o.stderr.slice(0, 400))}`);
  else if (c.expect && !c.expect.test(lines[0])) found.push(`the line ${JSON.stringify(lines[0])} does not match ${c.expect}`);
  if (o.left.length) found.push(`left behind: ${o.left.join(', ')}`);
  return found;
}

const cases = badInputs();

test(`${cases.length} bad command lines over every command: one line, exit code 2, bounded time and memory, nothing left behind`, async () => {
  assert.ok(cases.length >= 300, `the table has ${cases.length} cases`);
  const { outcomes, stuck, stderr } = await runHarness();
  assert.equal(stuck, undefined, `case ${stuck} (${cases[stuck ?? 0]?.name}) ran past ${CASE_SECONDS} s: it hangs or does real work`);
  assert.equal(outcomes.length, cases.length, `the harness stopped after ${outcomes.length} cases: ${stderr.slice(-2000)}`);
  const failures: string[] = [];
  for (const o of outcomes) {
    const c = cases[o.index];
    for (const p of problems(c, o)) failures.push(`${c.name} [${JSON.stringify(c.args.slice(0, 8))}]: ${p}`);
  }
  assert.deepEqual(failures, []);
  const peak = Math.max(...outcomes.map((o) => o.maxRssBytes));
  assert.ok(peak < MAX_RSS_BYTES, `peak memory ${(peak / 2 ** 20).toFixed(0)} MiB`);
});

/** Runs one case as a real process, in its own folder. */
function runProcess(c: BadInput): Promise<{ code: number | null; stderr: string; left: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'qdistill-bad-process-'));
  c.setup?.(dir);
  const before = new Set(readdirSync(dir, { recursive: true }) as string[]);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli/index.ts'), ...c.args], { cwd: dir, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_SECONDS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const left = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !before.has(f));
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stderr, left });
    });
  });
}

test('a sample of the table as real qdistill processes: the same one line and exit code 2', async () => {
  const names = [
    'no command',
    'train --buffer-size beyond the memory',
    'inspect /dev/zero',
    'eval a FIFO',
    'quantize --out /dev/null',
    'train --out an existing file',
    'an env id with a newline',
    'train --config a FIFO',
  ];
  const sample = names.map((name) => {
    const c = cases.find((x) => x.name === name);
    assert.ok(c, `no case named '${name}'`);
    return c;
  });
  const results = await Promise.all(sample.map(runProcess));
  const failures = sample.flatMap((c, i) => problems(c, results[i]).map((p) => `${c.name}: ${p}`));
  assert.deepEqual(failures, []);
});
