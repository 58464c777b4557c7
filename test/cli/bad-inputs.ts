// The table of bad command lines every command must answer with one line and exit code 2, leaving nothing
// behind: the cases a fault audit found (huge sizes, devices and pipes as files, folders where files go,
// control characters in names), and every numeric flag of every command out of its range, read from the
// program's own definition so that a new flag is covered the day it is added.
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { rangeOf } from '../../src/cli/options.js';
import type { Command } from 'commander';
import { ROOT } from './run-cli.js';

export const TEACHER = join(ROOT, 'models/cartpole-v1/teacher.onnx');
export const STUDENT = join(ROOT, 'models/cartpole-v1-student-16x16/student.onnx');
const TFJS_TEACHER = join(ROOT, 'models/cartpole-v1');

/** One bad command line, run in a fresh empty folder (its working directory). */
export interface BadInput {
  /** What it tries, for the failure message. */
  name: string;
  /** The arguments after `qdistill`. */
  args: string[];
  /** Makes what the case needs in its folder (a FIFO, a file where a folder goes, a broken model). */
  setup?: (dir: string) => void;
  /** Environment variables for the case (e.g. a memory limit). */
  env?: Record<string, string>;
  /** What the one line must say. */
  expect?: RegExp;
}

/** Each command with arguments that are valid, so that only the flag under test is wrong. */
const VALID: Record<string, string[]> = {
  envs: ['envs'],
  train: ['train', 'CartPole-v1', '--out', 'out'],
  eval: ['eval', TEACHER, '--episodes', '1'],
  distill: ['distill', TEACHER, '--student', '8', '--out', 'out'],
  sweep: ['sweep', TEACHER, '--sizes', '8,4', '--out', 'out'],
  import: ['import', 'missing.zip', '--out', 'teacher.onnx'],
  inspect: ['inspect', TEACHER],
  record: ['record', TEACHER, '--out', 'demos.qdb'],
  'export onnx': ['export', 'onnx', TFJS_TEACHER, '--out', 'teacher.onnx'],
  'export js': ['export', 'js', TEACHER, '--out', 'policy.js'],
  'export c': ['export', 'c', TEACHER, '--out', 'policy.h'],
  'export web': ['export', 'web', TEACHER, '--out', 'site'],
  'export triton': ['export', 'triton', TEACHER, '--out', 'repo'],
  optimize: ['optimize', TEACHER, '--out', 'o.onnx'],
  fp16: ['fp16', TEACHER, '--out', 'h.onnx'],
  prune: ['prune', TEACHER, '--sparsity', '0.5', '--out', 'p.onnx'],
  quantize: ['quantize', TEACHER, '--mode', 'dynamic', '--out', 'q.onnx'],
  compress: ['compress', TEACHER, '--out', 'out'],
  bench: ['bench', TEACHER],
  compare: ['compare', TEACHER, STUDENT, '--out', 'report'],
  serve: ['serve', TEACHER],
  demo: ['demo', '--out', 'out'],
};

function leafCommands(command: Command, path: string[] = []): [string, Command][] {
  if (command.commands.length === 0) return path.length ? [[path.join(' '), command]] : [];
  return command.commands.flatMap((c) => leafCommands(c, [...path, c.name()]));
}

/** Values just outside a range "a..b" (or "≥ a"), and two that are not numbers at all. */
function outOfRange(range: string): string[] {
  const numbers = [...range.matchAll(/-?[\d,]+(?:\.\d+)?(?:e[+-]?\d+)?/gi)].map((m) => Number(m[0].replace(/,/g, '')));
  const values = ['lots', '1e400'];
  if (range.startsWith('≥')) values.push(String(numbers[0] - 1));
  else if (range.startsWith('up to')) values.push('0', '1,,2');
  else {
    const [min, max] = numbers;
    values.push(String(min - 1), String(max + 1));
  }
  return values;
}

/** Every numeric flag of every command, out of its range. */
function flagCases(): BadInput[] {
  const cases: BadInput[] = [];
  for (const [path, command] of leafCommands(buildProgram())) {
    const valid = VALID[path];
    if (!valid) throw new Error(`no valid command line for '${path}' in bad-inputs.ts`);
    for (const option of command.options) {
      const range = rangeOf(option.parseArg);
      if (!range || !option.long) continue;
      for (const value of outOfRange(range)) {
        cases.push({ name: `${path} ${option.long} ${value}`, args: [...valid, option.long, value], expect: new RegExp(`${option.long.replace(/-/g, '\\-')}.*invalid`) });
      }
    }
    cases.push({ name: `${path} with an unknown flag`, args: [...valid, '--no-such-flag'], expect: /unknown option '--no-such-flag'/ });
  }
  return cases;
}

function fifo(dir: string, name: string): void {
  execFileSync('mkfifo', [join(dir, name)]);
}

function file(dir: string, name: string, content: string | Uint8Array = 'x'): void {
  writeFileSync(join(dir, name), content);
}

function folder(dir: string, name: string): void {
  mkdirSync(join(dir, name), { recursive: true });
}

/** Commands that write one file, with the flag naming it. */
const FILE_OUTPUTS: [string, string[]][] = [
  ['quantize', ['quantize', TEACHER, '--mode', 'dynamic']],
  ['fp16', ['fp16', TEACHER]],
  ['optimize', ['optimize', TEACHER]],
  ['prune', ['prune', TEACHER, '--sparsity', '0.5']],
  ['record', ['record', TEACHER, '--episodes', '1']],
  ['export js', ['export', 'js', TEACHER]],
  ['export c', ['export', 'c', TEACHER]],
  ['export onnx', ['export', 'onnx', TFJS_TEACHER]],
  ['import', ['import', 'missing.zip', '--env', 'CartPole-v1']],
];

/** Commands that write a folder. */
const FOLDER_OUTPUTS: [string, string[]][] = [
  ['train', ['train', 'CartPole-v1', '--steps', '100']],
  ['distill', ['distill', TEACHER, '--student', '8', '--rounds', '1']],
  ['sweep', ['sweep', TEACHER, '--sizes', '8']],
  ['compare', ['compare', TEACHER, STUDENT, '--episodes', '1']],
  ['export web', ['export', 'web', TEACHER]],
  ['export triton', ['export', 'triton', TEACHER]],
  ['compress', ['compress', TEACHER]],
  ['demo', ['demo']],
];

function outputCases(): BadInput[] {
  const cases: BadInput[] = [];
  for (const [name, args] of FILE_OUTPUTS) {
    cases.push(
      { name: `${name} --out ''`, args: [...args, '--out', ''], expect: /--out needs a file name/ },
      { name: `${name} --out a folder`, args: [...args, '--out', 'here'], setup: (d) => folder(d, 'here'), expect: /--out is a folder/ },
      { name: `${name} --out a folder (trailing /)`, args: [...args, '--out', 'new/'], expect: /--out names a folder/ },
      { name: `${name} --out /dev/null`, args: [...args, '--out', '/dev/null'], expect: /--out is a device/ },
      { name: `${name} --out a FIFO`, args: [...args, '--out', 'pipe'], setup: (d) => fifo(d, 'pipe'), expect: /--out is a named pipe/ },
      { name: `${name} --out under a file`, args: [...args, '--out', 'plain/x.out'], setup: (d) => file(d, 'plain'), expect: /is a file, not a folder/ },
      { name: `${name} --out where nothing may be written`, args: [...args, '--out', '/sys/qdistill-test.out'], expect: /cannot be written in \/sys/ },
    );
  }
  for (const [name, args] of FOLDER_OUTPUTS) {
    cases.push(
      { name: `${name} --out ''`, args: [...args, '--out', ''], expect: /--out needs a folder name/ },
      { name: `${name} --out an existing file`, args: [...args, '--out', 'plain'], setup: (d) => file(d, 'plain'), expect: /--out is a file; give a folder/ },
      { name: `${name} --out /dev/null`, args: [...args, '--out', '/dev/null'], expect: /--out is a device/ },
      { name: `${name} --out under a file`, args: [...args, '--out', 'plain/sub'], setup: (d) => file(d, 'plain'), expect: /is a file, not a folder/ },
      { name: `${name} --out where nothing may be written`, args: [...args, '--out', '/sys/qdistill-test'], expect: /cannot be written in \/sys/ },
    );
  }
  return cases;
}

/** Model arguments that are not model files: devices, pipes, folders, missing files, files that are not ONNX. */
function modelInputCases(): BadInput[] {
  const commands: [string, (model: string) => string[]][] = [
    ['inspect', (m) => ['inspect', m]],
    ['eval', (m) => ['eval', m, '--env', 'CartPole-v1', '--episodes', '1']],
    ['quantize', (m) => ['quantize', m, '--mode', 'dynamic', '--env', 'CartPole-v1', '--out', 'q.onnx']],
    ['fp16', (m) => ['fp16', m, '--env', 'CartPole-v1', '--out', 'h.onnx']],
    ['record', (m) => ['record', m, '--env', 'CartPole-v1', '--out', 'd.qdb']],
    ['distill', (m) => ['distill', m, '--env', 'CartPole-v1', '--student', '8', '--out', 'out']],
    ['bench', (m) => ['bench', m, '--env', 'CartPole-v1']],
    ['export js', (m) => ['export', 'js', m, '--env', 'CartPole-v1', '--out', 'p.js']],
    ['export web', (m) => ['export', 'web', m, '--env', 'CartPole-v1', '--out', 'site']],
    ['export triton', (m) => ['export', 'triton', m, '--env', 'CartPole-v1', '--out', 'repo']],
    ['serve', (m) => ['serve', m, '--env', 'CartPole-v1', '--port', '0']],
  ];
  const cases: BadInput[] = [];
  for (const [name, make] of commands) {
    cases.push(
      { name: `${name} /dev/zero`, args: make('/dev/zero'), expect: /is a device/ },
      { name: `${name} a FIFO`, args: make('pipe.onnx'), setup: (d) => fifo(d, 'pipe.onnx'), expect: /is a named pipe/ },
      { name: `${name} a missing file`, args: make('nothing.onnx'), expect: /not found|no such file/ },
      { name: `${name} text as a model`, args: make('text.onnx'), setup: (d) => file(d, 'text.onnx', 'hello, not a model\n') },
      { name: `${name} an empty file`, args: make('empty.onnx'), setup: (d) => file(d, 'empty.onnx', '') },
      { name: `${name} a name with a newline`, args: make('bad\nqdistill: forged.onnx'), expect: /bad\\nqdistill: forged/ },
    );
  }
  return cases;
}

/** Input files named by flags. */
function fileFlagCases(): BadInput[] {
  const flags: [string, string[]][] = [
    ['train --config', ['train', 'CartPole-v1', '--out', 'out', '--config']],
    ['distill --from-demos', ['distill', '--env', 'CartPole-v1', '--student', '8', '--out', 'out', '--from-demos']],
    ['distill --dataset', ['distill', TEACHER, '--student', '8', '--out', 'out', '--dataset']],
    ['distill --observations', ['distill', TEACHER, '--student', '8', '--out', 'out', '--observations']],
  ];
  const cases: BadInput[] = [];
  for (const [name, args] of flags) {
    const flag = name.split(' ')[1];
    cases.push(
      { name: `${name} missing`, args: [...args, 'missing.file'], expect: /no such file/ },
      { name: `${name} a folder`, args: [...args, 'here'], setup: (d) => folder(d, 'here'), expect: new RegExp(`${flag} is a folder`) },
      { name: `${name} a FIFO`, args: [...args, 'pipe'], setup: (d) => fifo(d, 'pipe'), expect: new RegExp(`${flag} is a named pipe`) },
      { name: `${name} /dev/zero`, args: [...args, '/dev/zero'], expect: new RegExp(`${flag} is a device`) },
      { name: `${name} ''`, args: [...args, ''], expect: new RegExp(`${flag} needs a file name`) },
      { name: `${name} garbage`, args: [...args, 'garbage.bin'], setup: (d) => file(d, 'garbage.bin', 'garbage\n') },
    );
  }
  return cases;
}

/** Sizes that do not fit in memory: refused by the estimate, before any work, naming the flag. */
function memoryCases(): BadInput[] {
  const small = { QDISTILL_MEMORY_LIMIT: '64M' };
  return [
    { name: 'train --buffer-size 1e12', args: ['train', 'CartPole-v1', '--out', 'out', '--buffer-size', '1e12'], expect: /--buffer-size/ },
    { name: 'train --buffer-size beyond the memory', args: ['train', 'CartPole-v1', '--out', 'out', '--buffer-size', '10000000'], env: small, expect: /needs about .* of memory.*--buffer-size 10000000/ },
    { name: 'train --net-arch 100000,100000', args: ['train', 'CartPole-v1', '--out', 'out', '--net-arch', '100000,100000'], expect: /--net-arch/ },
    { name: 'train --net-arch beyond the memory', args: ['train', 'CartPole-v1', '--out', 'out', '--net-arch', '50000,50000'], expect: /needs about .* of memory.*--net-arch 50000,50000/ },
    { name: 'train --net-arch of 17 layers', args: ['train', 'CartPole-v1', '--out', 'out', '--net-arch', Array(17).fill('4').join(',')], expect: /at most 16/ },
    { name: 'train --batch-size 1e9', args: ['train', 'CartPole-v1', '--out', 'out', '--batch-size', '1e9'], expect: /--batch-size/ },
    { name: 'train --conv-filters on a vector env', args: ['train', 'CartPole-v1', '--out', 'out', '--conv-filters', '8'], expect: /--conv-filters needs image observations/ },
    { name: 'train --conv-filters beyond the memory', args: ['train', 'MinAtar/Breakout', '--out', 'out', '--conv-filters', '1024', '--net-arch', '4096'], env: small, expect: /needs about .* of memory/ },
    { name: 'distill --memory-size 1e12', args: ['distill', TEACHER, '--student', '8', '--out', 'out', '--memory-size', '1e12'], expect: /--memory-size/ },
    { name: 'distill --memory-size beyond the memory', args: ['distill', TEACHER, '--student', '8', '--out', 'out', '--memory-size', '10000000'], env: small, expect: /needs about .* of memory.*--memory-size 10000000/ },
    { name: 'distill --student 1e9', args: ['distill', TEACHER, '--student', '1e9', '--out', 'out'], expect: /--student/ },
    { name: 'distill --student beyond the memory', args: ['distill', TEACHER, '--student', '60000,60000', '--out', 'out'], expect: /needs about .* of memory.*--student 60000,60000/ },
    { name: 'distill --batch-size 1e9', args: ['distill', TEACHER, '--student', '8', '--out', 'out', '--batch-size', '1e9'], expect: /--batch-size/ },
    { name: 'sweep labels beyond the memory', args: ['sweep', TEACHER, '--sizes', '8', '--out', 'out', '--rounds', '1000', '--steps-per-round', '1000000'], env: small, expect: /needs about .* of memory.*--rounds 1000 × --steps-per-round 1000000/ },
    { name: 'record --episodes 1e12', args: ['record', TEACHER, '--out', 'd.qdb', '--episodes', '1e12'], expect: /--episodes/ },
    { name: 'record --episodes beyond the memory', args: ['record', TEACHER, '--out', 'd.qdb', '--episodes', '100000'], env: small, expect: /needs about .* of memory.*--episodes 100000/ },
    { name: 'bench --batch 1e9', args: ['bench', TEACHER, '--batch', '1e9'], expect: /--batch/ },
    { name: 'bench --batch beyond the memory', args: ['bench', TEACHER, '--batch', '65536'], env: { QDISTILL_MEMORY_LIMIT: '1M' }, expect: /needs about .* of memory.*--batch 65536/ },
    { name: 'eval --episodes 1e12', args: ['eval', TEACHER, '--episodes', '1e12'], expect: /--episodes/ },
    { name: 'a memory limit that is not a size', args: ['train', 'CartPole-v1', '--out', 'out'], env: { QDISTILL_MEMORY_LIMIT: 'lots' }, expect: /QDISTILL_MEMORY_LIMIT must be a size/ },
  ];
}

/** Other command lines from the audit and from trying the CLI as a new user would. */
function otherCases(): BadInput[] {
  return [
    { name: 'no command', args: [], expect: /a command is required/ },
    { name: 'export with no format', args: ['export'], expect: /a subcommand is required: onnx, triton, js, c, web/ },
    { name: 'export an unknown format', args: ['export', 'tflite', TEACHER], expect: /unknown command 'tflite'/ },
    { name: 'an unknown command', args: ['frobnicate'], expect: /unknown command 'frobnicate'/ },
    { name: 'a flag with a newline', args: ['train', 'CartPole-v1', '--out', 'out', '--x\nqdistill: forged'], expect: /--x\\nqdistill: forged/ },
    { name: 'an env id with a newline', args: ['train', 'Cart\nPole-v1', '--out', 'out'], expect: /Cart\\nPole-v1/ },
    { name: 'an env id with an escape sequence', args: ['train', 'Cart\u001b[2JPole', '--out', 'out'], expect: /Cart\\x1b\[2JPole/ },
    { name: 'eval on the wrong env', args: ['eval', TEACHER, '--env', 'Acrobot-v1', '--episodes', '1'], expect: /Acrobot-v1/ },
    { name: 'train --resume with nothing to resume', args: ['train', 'CartPole-v1', '--out', 'out', '--resume'], expect: /nothing to resume/ },
    { name: 'a config file that is not JSON', args: ['train', 'CartPole-v1', '--out', 'out', '--config', 'c.json'], setup: (d) => file(d, 'c.json', '{ "learning_rate": '), expect: /not valid JSON/ },
    { name: 'a config file holding a list', args: ['train', 'CartPole-v1', '--out', 'out', '--config', 'c.json'], setup: (d) => file(d, 'c.json', '[1, 2]'), expect: /expected a JSON object/ },
    { name: 'a config file with a huge buffer', args: ['train', 'CartPole-v1', '--out', 'out', '--config', 'c.json'], setup: (d) => file(d, 'c.json', '{ "buffer_size": 1e15 }'), expect: /of memory|buffer/ },
    { name: 'import a folder', args: ['import', 'here', '--out', 't.onnx'], setup: (d) => folder(d, 'here'), expect: /is a folder/ },
    { name: 'import a FIFO', args: ['import', 'pipe.zip', '--out', 't.onnx'], setup: (d) => fifo(d, 'pipe.zip'), expect: /is a named pipe/ },
    { name: 'import text', args: ['import', 'x.zip', '--out', 't.onnx'], setup: (d) => file(d, 'x.zip', 'not a zip') },
    { name: 'eval a tfjs folder without model.json', args: ['eval', 'here', '--env', 'CartPole-v1'], setup: (d) => folder(d, 'here') },
    { name: 'quantize onto its input', args: ['quantize', 'in.onnx', '--out', 'in.onnx'], setup: (d) => file(d, 'in.onnx', new Uint8Array(0)) },
    { name: 'distill with neither teacher nor demonstrations', args: ['distill', '--student', '8', '--out', 'out'] },
    { name: 'distill --student with an empty size', args: ['distill', TEACHER, '--student', '8,,8', '--out', 'out'], expect: /--student/ },
    { name: 'sweep --sizes with 65 students', args: ['sweep', TEACHER, '--sizes', Array(65).fill('4').join(','), '--out', 'out'], expect: /at most 64/ },
    { name: 'sweep --widths out of range', args: ['sweep', TEACHER, '--sizes', '8', '--widths', '100', '--out', 'out'], expect: /--widths/ },
    { name: 'gym: with no id', args: ['eval', TEACHER, '--env', 'gym:'] },
    { name: 'gym: --env-kwargs not JSON', args: ['eval', TEACHER, '--env', 'gym:CartPole-v1', '--env-kwargs', '{bad'], expect: /--env-kwargs/ },
    { name: 'gym: --env-kwargs a list', args: ['eval', TEACHER, '--env', 'gym:CartPole-v1', '--env-kwargs', '[1]'], expect: /--env-kwargs/ },
    { name: 'gym: an unknown wrapper', args: ['eval', TEACHER, '--env', 'gym:CartPole-v1', '--wrappers', 'frobnicate'], expect: /--wrappers/ },
    { name: 'gym flags with a built-in env', args: ['eval', TEACHER, '--env', 'CartPole-v1', '--env-kwargs', '{}'] },
    { name: 'gym: a Python that is not there', args: ['eval', TEACHER, '--env', 'gym:x.py:Env', '--python', '/nonexistent/python3'] },
    { name: 'serve --port 70000', args: ['serve', TEACHER, '--port', '70000'], expect: /--port/ },
    { name: 'serve two models of one name', args: ['serve', `a=${TEACHER}`, `a=${STUDENT}`, '--port', '0'] },
  ];
}

/** The whole table. */
export function badInputs(): BadInput[] {
  return [...memoryCases(), ...otherCases(), ...outputCases(), ...modelInputCases(), ...fileFlagCases(), ...flagCases()];
}
