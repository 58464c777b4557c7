// The corpus runner of issue 12, shared by test/corpus/corpus.test.ts and bench/corpus-table.ts: makes the
// corpus (test/corpus/make_corpus.py with Debian's torch), runs every file through every command the way a user
// does (the built CLI, bin/qdistill, in a child process) and records each (file, command) outcome.
import { spawn, spawnSync } from 'node:child_process';
import { commandsOf } from './expectations.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeEnv } from '../../src/envs/registry.js';
import { deriveSeed, Rng } from '../../src/envs/rng.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/qdistill');
const PYTHON = '/usr/bin/python3';

/** The commands every ONNX file goes through, in table order; `import` is for checkpoints. */
export const ONNX_COMMANDS = [
  'inspect', 'eval', 'distill', 'quantize-dynamic', 'quantize-static', 'fp16', 'prune', 'optimize',
  'export-js', 'export-c', 'bench', 'compare', 'serve',
] as const;
export const CHECKPOINT_COMMANDS = ['import'] as const;
export type Command = (typeof ONNX_COMMANDS)[number] | (typeof CHECKPOINT_COMMANDS)[number];

/** One file of manifest.json (written by make_corpus.py). */
export interface CorpusEntry {
  kind: 'onnx' | 'zip' | 'state_dict';
  /** The env the file plays, or null for a checkpoint that fits none of ours (imported without an env). */
  env: string | null;
  made: string;
  notes: string;
  /** Env id whose states (states-<env>.f32) the reference was computed on, or null (own states). */
  states: string | null;
  ref?: string;
  refDtype?: 'float32' | 'int64';
  refShape?: number[];
  tolerance: number;
  ownStates?: string;
  ownStatesShape?: number[];
}
export type Manifest = Record<string, CorpusEntry>;

export type Outcome = 'ok' | 'exit2' | 'exit1' | 'other';

export interface CellResult {
  file: string;
  command: Command;
  outcome: Outcome;
  status: number | null;
  signal: string | null;
  /** The `qdistill: ` lines of stderr. */
  messages: string[];
  /** stderr lines that are neither ours nor progress JSON. */
  strayLines: string[];
  /** The last lines of stderr, for reports. */
  stderrTail: string;
  /** ONNX files the command wrote (to be run through onnx.checker). */
  written: string[];
  /** What went wrong beyond the exit code (serve's requests, a missing output). */
  problems: string[];
  seconds: number;
  argv: string[];
}

export const STATE_COUNT = { flat: 256, image: 64 } as const;
const CELL_TIMEOUT_MS = 90_000;

function stateFile(env: string): string {
  return `states-${env.replace(/[^A-Za-z0-9.-]/g, '_')}.f32`;
}

/** `count` states of `env` visited by a random policy from a fixed seed (the env's native layout). */
export function envStates(env: string, count: number): Float32Array {
  const e = makeEnv(env);
  const size = e.spec.observationShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count * size);
  const rng = new Rng(12);
  let episode = 0;
  let obs = e.reset(deriveSeed(12, episode++));
  for (let i = 0; i < count; i++) {
    out.set(obs, i * size);
    const r = e.step(rng.int(e.spec.actionCount));
    obs = r.terminated || r.truncated ? e.reset(deriveSeed(12, episode++)) : r.observation;
  }
  return out;
}

/** Writes the states the references are computed on, runs make_corpus.py into `dir`, returns the manifest. */
export function makeCorpus(dir: string): Manifest {
  mkdirSync(dir, { recursive: true });
  const index: Record<string, { file: string; shape: number[] }> = {};
  for (const env of ['CartPole-v1', 'Acrobot-v1', 'LunarLander-v3', 'MountainCar-v0', 'MinAtar/Breakout']) {
    const spec = makeEnv(env).spec;
    const count = spec.observationShape.length > 1 ? STATE_COUNT.image : STATE_COUNT.flat;
    const states = envStates(env, count);
    writeFileSync(join(dir, stateFile(env)), Buffer.from(states.buffer, states.byteOffset, states.byteLength));
    index[env] = { file: stateFile(env), shape: [count, ...spec.observationShape] };
  }
  writeFileSync(join(dir, 'states.json'), JSON.stringify(index, null, 2));
  const r = spawnSync(PYTHON, [join(ROOT, 'test/corpus/make_corpus.py'), dir], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`cannot run ${PYTHON} (apt-get install python3-torch python3-onnx): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`make_corpus.py failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** The states an entry's reference was computed on, in the env's native layout, and their count. */
export function referenceStates(dir: string, entry: CorpusEntry): { states: Float32Array; count: number } | null {
  if (!entry.states) return null;
  const index = JSON.parse(readFileSync(join(dir, 'states.json'), 'utf8')) as Record<string, { file: string; shape: number[] }>;
  const { file, shape } = index[entry.states];
  const bytes = readFileSync(join(dir, file));
  return { states: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), count: shape[0] };
}

/** torch's outputs for an entry: float32 Q-values or int64 actions (as numbers). */
export function reference(dir: string, entry: CorpusEntry): { values: Float64Array; shape: number[]; actions: boolean } | null {
  if (!entry.ref || !entry.refShape) return null;
  const bytes = readFileSync(join(dir, entry.ref));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (entry.refDtype === 'int64') {
    return { values: Float64Array.from(new BigInt64Array(buffer), Number), shape: entry.refShape, actions: true };
  }
  return { values: Float64Array.from(new Float32Array(buffer)), shape: entry.refShape, actions: false };
}

function commandsFor(entry: CorpusEntry): readonly Command[] {
  return entry.kind === 'onnx' ? ONNX_COMMANDS : CHECKPOINT_COMMANDS;
}

/** Every (file, command) cell of the corpus, in table order. */
export function cells(manifest: Manifest): { file: string; command: Command }[] {
  return Object.entries(manifest).flatMap(([file, entry]) => commandsOf(file, commandsFor(entry)).map((command) => ({ file, command })));
}

/** Files whose input and output are float16: run with --allow-fp16. */
const FLOAT16_FILES = new Set(['half.onnx']);

/** The CLI arguments of a cell and the ONNX files it will write. */
function argvFor(dir: string, file: string, entry: CorpusEntry, command: Command): { argv: string[]; outputs: string[] } {
  const path = join(dir, file);
  const work = join(dir, 'out', `${file}.${command}`);
  mkdirSync(work, { recursive: true });
  // Every command that opens a float16 file is told that float16 is expected, as its one-line error asks.
  const env = [...(entry.env ? ['--env', entry.env] : []), ...(FLOAT16_FILES.has(file) ? ['--allow-fp16'] : [])];
  // A checkpoint no env of ours fits has env null in manifest.json (only its import cell runs).
  const image = entry.env?.startsWith('MinAtar') ?? false;
  const check = ['--episodes', '2'];
  switch (command) {
    case 'inspect':
      return { argv: ['inspect', path, '--json'], outputs: [] };
    case 'eval':
      return { argv: ['eval', path, ...env, '--episodes', '2', '--runtime', 'ort-cpu', '--json'], outputs: [] };
    case 'distill':
      return {
        argv: ['distill', path, ...env, '--student', image ? '32' : '16,16', ...(image ? ['--width', '0.5'] : []), '--out', work,
          '--rounds', '1', '--steps-per-round', '200', '--gradient-steps', '20', '--eval-episodes', '1', '--no-early-stop', '--final-episodes', '2', '--json'],
        outputs: [join(work, 'student.onnx')],
      };
    case 'quantize-dynamic':
      return { argv: ['quantize', path, ...env, '--mode', 'dynamic', ...check, '--out', join(work, 'q.onnx'), '--json'], outputs: [join(work, 'q.onnx')] };
    case 'quantize-static':
      return {
        argv: ['quantize', path, ...env, '--mode', 'static', '--calibration-states', '200', ...check, '--out', join(work, 'q.onnx'), '--json'],
        outputs: [join(work, 'q.onnx')],
      };
    case 'fp16':
      return { argv: ['fp16', path, ...env, ...check, '--out', join(work, 'fp16.onnx'), '--json'], outputs: [join(work, 'fp16.onnx')] };
    case 'prune':
      return { argv: ['prune', path, ...env, '--sparsity', '0.5', ...check, '--out', join(work, 'pruned.onnx'), '--json'], outputs: [join(work, 'pruned.onnx')] };
    case 'optimize':
      return { argv: ['optimize', path, ...env, ...check, '--out', join(work, 'opt.onnx'), '--json'], outputs: [join(work, 'opt.onnx')] };
    case 'export-js':
      return { argv: ['export', 'js', path, ...env, '--out', join(work, 'policy.mjs'), '--json'], outputs: [] };
    case 'export-c':
      return { argv: ['export', 'c', path, ...env, '--out', join(work, 'policy.h'), '--json'], outputs: [] };
    case 'bench':
      return { argv: ['bench', path, ...env, '--runtime', 'ort-cpu', '--batch', '1,8', '--seconds', '0.05', '--json'], outputs: [] };
    case 'compare':
      return {
        argv: ['compare', path, path, ...env, '--episodes', '2', '--runtime', 'ort-cpu', '--batch', '1', '--seconds', '0.05', '--out', work, '--json'],
        outputs: [],
      };
    case 'serve':
      return { argv: ['serve', path, ...env, '--port', '0', '--no-web', '--runtime', 'ort-cpu', '--json'], outputs: [] };
    case 'import':
      return { argv: ['import', path, '--out', join(work, 'teacher.onnx'), '--json'], outputs: [join(work, 'teacher.onnx')] };
  }
}

interface Spawned {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  problems: string[];
}

function run(argv: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>, problems: string[]) => void): Promise<Spawned> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const problems: string[] = [];
    const timer = setTimeout(() => {
      problems.push(`timed out after ${CELL_TIMEOUT_MS / 1000} s`);
      child.kill('SIGKILL');
    }, CELL_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(stdout, child, problems);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, problems });
    });
  });
}

async function post(url: string, body: unknown): Promise<{ status: number; json: any; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* reported through the status or the missing fields */
  }
  return { status: response.status, json, text };
}

/** serve: waits for the listening line, sends one single-observation and one 2-row request, then SIGTERM. */
function runServe(argv: string[], observation: number[], actions: number): Promise<Spawned> {
  let started = false;
  return run(argv, (stdout, child, problems) => {
    if (started || !stdout.includes('\n')) return;
    started = true;
    void (async () => {
      try {
        const listening = JSON.parse(stdout.split('\n')[0]) as { models: { act: string }[] };
        const url = listening.models[0].act;
        const one = await post(url, { observation });
        if (one.status !== 200) problems.push(`single observation: HTTP ${one.status} ${one.text.slice(0, 200)}`);
        else if (!Number.isInteger(one.json?.action) || one.json.action < 0 || one.json.action >= actions || one.json.q_values?.length !== actions) {
          problems.push(`single observation: unexpected answer ${one.text.slice(0, 200)}`);
        }
        const two = await post(url, { observations: [observation, observation] });
        if (two.status !== 200) problems.push(`2-row batch: HTTP ${two.status} ${two.text.slice(0, 200)}`);
        else if (!Array.isArray(two.json?.actions) || two.json.actions.length !== 2 || two.json.q_values?.length !== 2) {
          problems.push(`2-row batch: unexpected answer ${two.text.slice(0, 200)}`);
        }
      } catch (error) {
        problems.push(`requests: ${(error as Error).message}`);
      }
      child.kill('SIGTERM');
    })();
  });
}

/** Runs one cell the way a user does and classifies what happened. */
export async function runCell(dir: string, manifest: Manifest, file: string, command: Command): Promise<CellResult> {
  const entry = manifest[file];
  const { argv, outputs } = argvFor(dir, file, entry, command);
  const started = performance.now();
  let result: Spawned;
  if (command === 'serve') {
    if (!entry.env) throw new Error(`${file}: serve cells need the file's env in manifest.json`);
    const spec = makeEnv(entry.env).spec;
    const size = spec.observationShape.reduce((a, b) => a * b, 1);
    const states = envStates(entry.env, 1);
    result = await runServe(argv, Array.from(states.subarray(0, size)), spec.actionCount);
  } else {
    result = await run(argv);
  }
  const seconds = (performance.now() - started) / 1000;
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  const messages = lines.filter((l) => l.startsWith('qdistill: '));
  const strayLines = lines.filter((l) => {
    if (l.startsWith('qdistill: ')) return false;
    try {
      return typeof JSON.parse(l) !== 'object';
    } catch {
      return true;
    }
  });
  const problems = [...result.problems];
  let outcome: Outcome;
  if (result.status === 0 && problems.length === 0) outcome = 'ok';
  else if (result.status === 2 && problems.length === 0) outcome = 'exit2';
  else if (result.status === 1 && problems.length === 0) outcome = 'exit1';
  else outcome = 'other';
  const written = outcome === 'ok' ? outputs.filter((p) => existsSync(p)) : [];
  if (outcome === 'ok') for (const p of outputs) if (!existsSync(p)) problems.push(`${p} was not written`);
  if (outcome === 'ok' && problems.length > 0) outcome = 'other';
  return {
    file, command, outcome, status: result.status, signal: result.signal, messages, strayLines,
    stderrTail: lines.slice(-5).join('\n'), written, problems, seconds, argv,
  };
}

/** Runs every cell, `concurrency` at a time (the slowest commands first so the pool ends together). */
export async function runAll(dir: string, manifest: Manifest, concurrency = 2, onCell?: (r: CellResult) => void): Promise<CellResult[]> {
  const all = cells(manifest);
  const weight = (c: Command) => (c === 'distill' ? 3 : c === 'compare' || c === 'serve' ? 2 : 1);
  const queue = [...all].sort((a, b) => weight(b.command) - weight(a.command));
  const results = new Map<string, CellResult>();
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const r = await runCell(dir, manifest, next.file, next.command);
      results.set(`${next.file}\u0000${next.command}`, r);
      onCell?.(r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return all.map((c) => results.get(`${c.file}\u0000${c.command}`)!);
}

export interface TorchComparison {
  /** max |onnxruntime − torch| / max |torch| over every Q-value (NaN for action outputs). */
  maxRelative: number;
  /** greedy actions equal to torch's argmax (or to torch's action output). */
  agreement: number;
  tolerance: number;
  ok: boolean;
  detail: string;
}

/**
 * Q-values from onnxruntime (openPolicy, ort-cpu) on the reference states against torch's. An entry whose env is
 * null (an imported checkpoint no env of ours fits: its teacher records none) runs in onnxruntime itself on its
 * own states (ownStates, in the file's input layout).
 */
export async function compareWithTorch(dir: string, modelPath: string, entry: CorpusEntry): Promise<TorchComparison> {
  const ref = reference(dir, entry);
  const ownStates = () => {
    if (!entry.ownStates || !entry.ownStatesShape) return null;
    const bytes = readFileSync(join(dir, entry.ownStates));
    return { states: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), count: entry.ownStatesShape[0] };
  };
  const states = entry.env ? referenceStates(dir, entry) : ownStates();
  if (!ref || !states) throw new Error('no reference for this file');
  let q: Float32Array;
  let batched = true;
  let actionCount: number;
  if (!entry.env) {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelPath);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', states.states, entry.ownStatesShape!) });
    q = out[session.outputNames[0]].data as Float32Array;
    actionCount = ref.shape[1];
  } else {
    const { openPolicy } = await import('../../src/infer/open.js');
    const policy = await openPolicy(modelPath, { runtime: 'ort-cpu', env: entry.env, allowFp16: FLOAT16_FILES.has(basename(modelPath)) });
    try {
      try {
        q = await policy.qValues(states.states, states.count);
      } catch {
        // A file with a fixed batch of 1 (torch's default export) answers one state at a time; the batched
        // failure itself is what the file's command cells report.
        batched = false;
        const size = states.states.length / states.count;
        q = new Float32Array(states.count * policy.spec.actionCount);
        for (let i = 0; i < states.count; i++) q.set(await policy.qValues(states.states.subarray(i * size, (i + 1) * size), 1), i * policy.spec.actionCount);
      }
      actionCount = policy.spec.actionCount;
    } finally {
      await policy.dispose();
    }
  }
  const actionsOut = ref.actions;
  const a = actionsOut ? 1 : ref.shape[1];
  let agree = 0;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < states.count; i++) {
    const row = q.subarray(i * actionCount, (i + 1) * actionCount);
    let best = 0;
    for (let j = 1; j < actionCount; j++) if (row[j] > row[best]) best = j;
    let refBest: number;
    if (actionsOut) refBest = ref.values[i];
    else {
      refBest = 0;
      for (let j = 0; j < a; j++) {
        const r = ref.values[i * a + j];
        if (r > ref.values[i * a + refBest]) refBest = j;
        maxRef = Math.max(maxRef, Math.abs(r));
        maxDiff = Math.max(maxDiff, Math.abs((row[j] ?? NaN) - r));
      }
    }
    if (best === refBest) agree++;
  }
  const agreement = agree / states.count;
  if (actionsOut) {
    return { maxRelative: NaN, agreement, tolerance: entry.tolerance, ok: agreement === 1, detail: `actions equal torch's on ${agree}/${states.count} states${batched ? '' : ', one state per call'}` };
  }
  if (q.length !== states.count * a) {
    return { maxRelative: NaN, agreement, tolerance: entry.tolerance, ok: false, detail: `onnxruntime gave ${q.length} values, torch ${states.count * a}` };
  }
  const maxRelative = maxDiff / Math.max(maxRef, 1e-12);
  const ok = Number.isFinite(maxRelative) && maxRelative <= entry.tolerance;
  return { maxRelative, agreement, tolerance: entry.tolerance, ok, detail: `max |Δ|/max|q| = ${maxRelative.toExponential(2)} (≤ ${entry.tolerance}), agreement ${agree}/${states.count}${batched ? '' : ', one state per call'}` };
}

/** The one-line summary of a cell for tables and todo reasons. */
export function summarize(r: CellResult): string {
  switch (r.outcome) {
    case 'ok':
      return 'ok';
    case 'exit2':
      return `exit 2: ${(r.messages[0] ?? r.stderrTail).replace(/^qdistill: /, '')}`;
    case 'exit1':
      return `exit 1: ${(r.messages[0] ?? r.stderrTail.split('\n').slice(-1)[0] ?? '').replace(/^qdistill: /, '')}`;
    default:
      return `other (status ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${[...r.problems, r.messages[0] ?? ''].filter(Boolean).join('; ')}`;
  }
}
