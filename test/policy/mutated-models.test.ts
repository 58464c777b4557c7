// Models that pass a reader but not a runtime (the fault audit's "eval exits 1, serve answers 500 — or 200
// with wrong values"): each mutant of a real policy (test/onnx/mutated-models.ts) goes through the real CLI
// — inspect, eval, quantize, serve — and must be refused up front: exit 2, exactly one `qdistill: ` line
// naming what is wrong, no file written, and serve never listening. onnx.checker tells which mutants are
// valid ONNX (so that only qdistill's own semantics checks can refuse them) and which are not. Processes
// run two at a time; the refusals come before any runtime is loaded, so each takes about a second or two.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { decodeModel } from '../../src/onnx/model.js';
import { checkPolicyGraph, describePolicyFile } from '../../src/policy/file.js';
import { UsageError } from '../../src/util/errors.js';
import { startCli } from '../cli/run-cli.js';
import { BASE_MODEL, MUTANTS, reluChainBytes, writeMutants, type Mutant } from '../onnx/mutated-models.js';
import { referenceCheckFiles } from '../support/onnx-checker.js';

const ENV = 'CartPole-v1';
const CONCURRENCY = 2;
const PROCESS_TIMEOUT_MS = 60_000;

type Command = Mutant['commands'][number];

const dir = mkdtempSync(join(tmpdir(), 'qdistill-mutants-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let paths = new Map<string, string>();

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The folder quantize was told to write into (empty before the run). */
  outDir?: string;
}

function argv(command: Command, path: string, outDir: string): string[] {
  switch (command) {
    case 'inspect':
      return ['inspect', path];
    case 'eval':
      return ['eval', path, '--env', ENV, '--episodes', '1'];
    case 'quantize':
      return ['quantize', path, '--mode', 'dynamic', '--env', ENV, '--episodes', '0', '--out', join(outDir, 'quantized.onnx')];
    case 'serve':
      // Refused before it listens; a server that started anyway is killed at the timeout and fails the cell.
      return ['serve', path, '--env', ENV, '--port', '0', '--no-web'];
  }
}

function run(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = startCli(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `jobs` at most `limit` at a time, results in order. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/** stderr without progress JSON lines (eval reports progress as JSON off a terminal). */
function messageLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{"progress"'));
}

function expectedRefusal(m: Mutant, command: Command): RegExp | 'ok' {
  return command === 'inspect' && m.inspect === 'ok' ? 'ok' : m.refusal;
}

const chain = join(dir, 'chain-10.onnx');
const checked = MUTANTS.filter((m) => m.validOnnx !== null);
let checker: Promise<Map<string, string | null>>;

before(() => {
  paths = writeMutants(dir);
  writeFileSync(chain, reluChainBytes(10));
  // The checker runs while the tests below do; its own test awaits it.
  checker = referenceCheckFiles([BASE_MODEL, chain, ...checked.map((m) => paths.get(m.name)!)]).then(
    (results) => new Map([...results].map(([path, r]) => [path, r.ok ? null : r.message])),
  );
  checker.catch(() => {});
});

test('in process: the reader refuses what no runtime can run; describePolicyFile refuses what is no CartPole policy', () => {
  const baseModel = decodeModel(readFileSync(BASE_MODEL), BASE_MODEL);
  assert.equal(describePolicyFile(baseModel, BASE_MODEL, ENV).spec.actionCount, 2);
  for (const m of MUTANTS) {
    const path = paths.get(m.name)!;
    const read = () => describePolicyFile(decodeModel(readFileSync(path), path), path, ENV);
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof UsageError, `${m.name}: ${e}`);
      assert.ok(!e.message.includes('\n'), `${m.name}: more than one line`);
      assert.match(e.message, m.refusal, m.name);
      assert.ok(e.message.endsWith(` (${path})`), `${m.name}: ${e.message}`);
      return true;
    });
    const decode = () => decodeModel(readFileSync(path), path);
    if (m.inspect === 'ok') assert.doesNotThrow(decode, `${m.name} is a valid model that inspect describes`);
    else assert.throws(decode, (e: unknown) => e instanceof UsageError && m.refusal.test(e.message), `${m.name}: the reader itself refuses it`);
  }
  // Without an environment (a pass on a file without metadata or --env): the batch is still checked.
  assert.doesNotThrow(() => checkPolicyGraph(baseModel, BASE_MODEL));
  const batch7 = paths.get('fixed-batch-7')!;
  assert.throws(() => checkPolicyGraph(decodeModel(readFileSync(batch7), batch7), batch7), /^UsageError: input 'obs' fixes the batch at 7;/);
});

describe('the real CLI refuses each mutant in one line, exit 2, writing nothing; serve never listens', () => {
  const cells = MUTANTS.flatMap((m) => m.commands.map((command) => ({ m, command })));
  const outcomes = new Map<string, Outcome>();
  const key = (m: Mutant, command: Command) => `${m.name} ${command}`;

  before(async () => {
    const jobs = cells.map(({ m, command }) => async () => {
      const outDir = join(dir, `out-${m.name}-${command}`);
      mkdirSync(outDir);
      const outcome = await run(argv(command, paths.get(m.name)!, outDir));
      return { ...outcome, outDir };
    });
    const results = await pool(jobs, CONCURRENCY);
    cells.forEach(({ m, command }, i) => outcomes.set(key(m, command), results[i]));
  });

  for (const { m, command } of cells) {
    it(`${m.name} × ${command}`, () => {
      const r = outcomes.get(key(m, command))!;
      const path = paths.get(m.name)!;
      const expected = expectedRefusal(m, command);
      assert.deepEqual(readdirSync(r.outDir!), [], 'the command left a file behind');
      if (expected === 'ok') {
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /inputs\s+obs/);
        return;
      }
      assert.equal(r.status, 2, `exit code (stderr: ${r.stderr.slice(-2000)})`);
      const lines = messageLines(r.stderr);
      assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
      assert.ok(lines[0].startsWith('qdistill: '), lines[0]);
      assert.doesNotMatch(lines[0], /internal error/);
      assert.match(lines[0].slice('qdistill: '.length), expected);
      assert.ok(lines[0].endsWith(` (${path})`), lines[0]);
      if (command === 'serve') assert.doesNotMatch(r.stdout, /listening/, 'serve started');
    });
  }
});

test('onnx.checker accepts the mutants only qdistill can refuse, and the chain writer makes valid ONNX', async () => {
  const results = await checker;
  assert.equal(results.get(BASE_MODEL), null, 'the base model is valid ONNX');
  assert.equal(results.get(chain), null, `a 10-node chain from the same writer: ${results.get(chain)}`);
  for (const m of checked) {
    const message = results.get(paths.get(m.name)!);
    assert.equal(message === null, m.validOnnx, `${m.name}: onnx.checker says ${message ?? 'valid'}`);
  }
  // The mutants it refuses, it refuses for a shape its own inference finds wrong or missing.
  for (const m of checked.filter((x) => !x.validOnnx)) assert.match(results.get(paths.get(m.name)!) ?? '', /shape/i, m.name);
});
