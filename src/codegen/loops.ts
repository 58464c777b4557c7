// The loops of each program step, written once for both languages: JavaScript and C differ here only in how
// variables are declared, how numbers are written and what the math functions are called, which a Dialect
// supplies. Sizes are literal numbers so the JIT / C compiler sees fixed trip counts.
import { integerStepLines, isIntegerStep, quantizeStepLines, type Int8ConstantKind, type Int8Dialect } from './int8-loops.js';
import type { Activation, Program, Step } from './program.js';
import type { Conv2dStep, DenseStep } from './program-types.js';
import { convLoops } from './conv-loops.js';

export interface Dialect {
  /** Declares a loop counter or index: 'let' / 'int'. */
  int: string;
  /** Declares an accumulator: 'let' / 'float'. */
  float: string;
  /** Declares a constant index: 'const' / 'const int'. */
  constInt: string;
  number(value: number): string;
  math(fn: 'exp' | 'tanh' | 'log1p' | 'sqrt' | 'erf', x: string): string;
  buffer(index: number): string;
  /** The name of a step's constant: weights, int8 values, scales, bias, indices, constant (and the integer steps' arrays). */
  constant(kind: 'w' | 'q' | 's' | 'bias' | 'idx' | 'k' | Int8ConstantKind, step: number): string;
  /** How integer steps are written; a generator without it cannot emit int8 graphs. */
  int8?: Int8Dialect;
  /**
   * Dense dot products in this many independent accumulators (lane l sums the columns c ≡ l mod lanes, in
   * increasing c), added in a fixed tree at the end, so that a compiler vectorizes them without reassociating
   * (denseLaneLines); unset: one accumulator, columns in increasing order.
   */
  lanes?: number;
}

/** `s` after the activation `a` (none: `s` itself), as an expression. */
export function activationExpression(a: Activation | null, s: string, d: Dialect): string {
  if (!a) return s;
  const n = (v: number) => d.number(v);
  switch (a.kind) {
    case 'relu':
      return `(${s} > ${n(0)} ? ${s} : ${n(0)})`;
    case 'leaky-relu':
      return `(${s} >= ${n(0)} ? ${s} : ${n(a.alpha)} * ${s})`;
    case 'elu':
      return `(${s} >= ${n(0)} ? ${s} : ${n(a.alpha)} * (${d.math('exp', s)} - ${n(1)}))`;
    case 'selu':
      return `(${s} > ${n(0)} ? ${n(a.gamma)} * ${s} : ${n(a.gamma * a.alpha)} * (${d.math('exp', s)} - ${n(1)}))`;
    case 'tanh':
      return d.math('tanh', s);
    case 'sigmoid':
      return `(${n(1)} / (${n(1)} + ${d.math('exp', `-${s}`)}))`;
    case 'softplus':
      // log(1 + e^s) equals s in float32 beyond 30, and exp would overflow further out.
      return `(${s} > ${n(30)} ? ${s} : ${d.math('log1p', d.math('exp', s))})`;
    case 'erf':
      return d.math('erf', s);
    case 'hard-sigmoid':
      return clamp01(`${n(a.alpha)} * ${s} + ${n(a.beta)}`, d);
    case 'hard-swish':
      // ONNX HardSwish: x · HardSigmoid(x) with alpha 1/6, beta 0.5.
      return `(${s} * ${clamp01(`${n(1 / 6)} * ${s} + ${n(0.5)}`, d)})`;
    case 'abs':
      return `(${s} < ${n(0)} ? -${s} : ${s})`;
    case 'softsign':
      return `(${s} / (${n(1)} + (${s} < ${n(0)} ? -${s} : ${s})))`;

    case 'clip': {
      let e = s;
      if (Number.isFinite(a.max)) e = `(${e} > ${n(a.max)} ? ${n(a.max)} : ${e})`;
      if (Number.isFinite(a.min)) e = `(${s} < ${n(a.min)} ? ${n(a.min)} : ${e})`;
      return e;
    }
  }
}

/** max(0, min(1, t)) of an expression. */
function clamp01(t: string, d: Dialect): string {
  const n = (v: number) => d.number(v);
  return `(${t} < ${n(0)} ? ${n(0)} : (${t} > ${n(1)} ? ${n(1)} : ${t}))`;
}

/** `s` after the sum: scaled back from int8, plus the bias. */
function finish(step: { weights: { int8: unknown; rows: number }; bias: Float32Array | null }, i: number, row: string, d: Dialect, perRowScale: boolean): string[] {
  const lines: string[] = [];
  if (step.weights.int8) lines.push(`s = s * ${d.constant('s', i)}[${perRowScale ? row : '0'}];`);
  if (step.bias) lines.push(`s = s + ${d.constant('bias', i)}[${row}];`);
  return lines;
}

function weightsName(step: { weights: { int8: unknown } }, i: number, d: Dialect): string {
  return d.constant(step.weights.int8 ? 'q' : 'w', i);
}

function perRow(step: { weights: { int8: { scales: Float32Array } | null } }): boolean {
  return (step.weights.int8?.scales.length ?? 0) > 1;
}

const indent = (lines: string[], by = '  ') => lines.map((l) => by + l);

/** The statements of step `i`. */
export function stepLines(program: Program, step: Step, i: number, d: Dialect): string[] {
  const x = d.buffer(step.input);
  const y = d.buffer(step.output);
  const { int, float } = d;
  if (isIntegerStep(step)) return integerStepLines(step, i, d, (s) => activationExpression(step.activation, s, d));
  switch (step.kind) {
    case 'quantize':
      return quantizeStepLines(step, d);
    case 'dense': {
      const { rows, columns } = step.weights;
      if (d.lanes) return denseLaneLines(step, i, d, d.lanes);
      return [
        `for (${int} r = 0; r < ${rows}; r++) {`,
        `  ${float} s = ${d.number(0)};`,
        `  for (${int} c = 0; c < ${columns}; c++) s += ${weightsName(step, i, d)}[r * ${columns} + c] * ${x}[c];`,
        ...indent(finish(step, i, 'r', d, perRow(step))),
        `  ${y}[r] = ${activationExpression(step.activation, 's', d)};`,
        '}',
      ];
    }
    case 'conv2d':
      return convLines(step, i, d);
    case 'gather':
      return [`for (${int} o = 0; o < ${step.indices.length}; o++) ${y}[o] = ${x}[${d.constant('idx', i)}[o]];`];
    case 'activation':
      return [`for (${int} o = 0; o < ${step.size}; o++) {`, `  ${float} s = ${x}[o];`, `  ${y}[o] = ${activationExpression(step.activation, 's', d)};`, '}'];
    case 'add-constant':
      return [`for (${int} o = 0; o < ${step.constant.length}; o++) ${y}[o] = ${x}[o] + ${d.constant('k', i)}[o];`];
    case 'constant-op':
      return [`for (${int} o = 0; o < ${step.constant.length}; o++) ${y}[o] = ${x}[o] ${step.op === 'mul' ? '*' : '/'} ${d.constant('k', i)}[o];`];
    case 'binary': {
      const a = `${x}[${step.inputScalar ? '0' : 'o'}]`;
      const b = `${d.buffer(step.other)}[${step.otherScalar ? '0' : 'o'}]`;
      const op = { add: '+', sub: '-', mul: '*', div: '/' }[step.op];
      return [`for (${int} o = 0; o < ${step.size}; o++) ${y}[o] = ${a} ${op} ${b};`];
    }
    case 'mean':
      return [
        '{',
        `  ${float} sum = ${d.number(0)};`,
        `  for (${int} o = 0; o < ${step.size}; o++) sum += ${x}[o];`,
        `  ${y}[0] = sum / ${d.number(step.size)};`,
        '}',
      ];
    case 'prelu':
      return [`for (${int} o = 0; o < ${step.slope.length}; o++) {`, `  ${float} s = ${x}[o];`, `  ${y}[o] = s < ${d.number(0)} ? ${d.constant('k', i)}[o] * s : s;`, '}'];
    case 'layer-norm': {
      const n = step.groupSize;
      const at = (j: string) => `${x}[g * ${n} + ${j}]`;
      return [
        `for (${int} g = 0; g < ${step.groups}; g++) {`,
        `  ${float} mean = ${d.number(0)};`,
        `  for (${int} j = 0; j < ${n}; j++) mean += ${at('j')};`,
        `  mean = mean / ${d.number(n)};`,
        `  ${float} variance = ${d.number(0)};`,
        `  for (${int} j = 0; j < ${n}; j++) {`,
        `    ${float} dev = ${at('j')} - mean;`,
        '    variance += dev * dev;',
        '  }',
        `  ${float} inv = ${d.number(1)} / ${d.math('sqrt', `variance / ${d.number(n)} + ${d.number(step.epsilon)}`)};`,
        `  for (${int} j = 0; j < ${n}; j++) ${y}[g * ${n} + j] = (${at('j')} - mean) * inv * ${d.constant('w', i)}[j]${step.bias ? ` + ${d.constant('bias', i)}[j]` : ''};`,
        '}',
      ];
    }
    case 'dueling':
      return [
        '{',
        `  ${float} mean = ${d.number(0)};`,
        `  for (${int} a = 0; a < ${step.actions}; a++) mean += ${x}[a];`,
        `  mean = mean / ${d.number(step.actions)};`,
        `  for (${int} a = 0; a < ${step.actions}; a++) ${y}[a] = ${d.buffer(step.value)}[0] + (${x}[a] - mean);`,
        '}',
      ];
  }
}

/**
 * The pairwise tree that adds `lanes` accumulators a0 … a(n−1): ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))
 * for 8 — halves added lane by lane, repeatedly, which is what a vector reduction does.
 */
export function laneTree(names: string[]): string {
  if (names.length === 1) return names[0];
  const half = names.length / 2;
  return laneTree(names.slice(0, half).map((a, j) => `(${a} + ${names[j + half]})`));
}

/** A dense step with `lanes` independent accumulators per row (see Dialect.lanes), restrict pointers to its row. */
function denseLaneLines(step: DenseStep, i: number, d: Dialect, lanes: number): string[] {
  const { rows, columns } = step.weights;
  const int8 = Boolean(step.weights.int8);
  const blocked = columns - (columns % lanes);
  const names = Array.from({ length: lanes }, (_, l) => `a${l}`);
  const term = (c: string) => `${int8 ? `(${d.float})w[${c}]` : `w[${c}]`} * x[${c}]`;
  const add = (base: string, l: number) => (base === '' ? `${l}` : l === 0 ? base : `${base} + ${l}`);
  return [
    `for (${d.int} r = 0; r < ${rows}; r++) {`,
    `  const ${int8 ? 'int8_t' : d.float} *restrict w = ${weightsName(step, i, d)} + r * ${columns};`,
    `  const ${d.float} *restrict x = ${d.buffer(step.input)};`,
    `  ${d.float} ${names.map((a) => `${a} = ${d.number(0)}`).join(', ')};`,
    ...(blocked > 0 ? [`  for (${d.int} c = 0; c < ${blocked}; c += ${lanes}) {`, ...names.map((a, l) => `    ${a} += ${term(add('c', l))};`), '  }'] : []),
    ...Array.from({ length: columns - blocked }, (_, t) => `  a${t} += ${term(String(blocked + t))};`),
    `  ${d.float} s = ${laneTree(names)};`,
    ...indent(finish(step, i, 'r', d, perRow(step))),
    `  ${d.buffer(step.output)}[r] = ${activationExpression(step.activation, 's', d)};`,
    '}',
  ];
}

function convLines(step: Conv2dStep, i: number, d: Dialect): string[] {
  const x = d.buffer(step.input);
  const y = d.buffer(step.output);
  return convLoops(step, d, {
    open: [`${d.float} s = ${d.number(0)};`],
    tap: (input, weight) => `s += ${weightsName(step, i, d)}[${weight}] * ${x}[${input}];`,
    close: (output) => [...finish(step, i, 'oc', d, perRow(step)), `${y}[${output}] = ${activationExpression(step.activation, 's', d)};`],
  });
}
