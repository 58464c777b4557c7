// The loops of the integer steps (DenseStep.integer, Conv2dStep.integer) and of QuantizeStep, for both languages,
// computed as the ONNX ops of the file define them and in onnxruntime's float32 order where the ops compute in
// float (so the JavaScript module gives onnxruntime's numbers): the input quantized to 8-bit codes, the int32
// sums, then the way back to float. Three parts, so that the C generator can put the integer sums in functions
// of their own (c-int8.ts). The arrays the loops read are listed by integerArrays for the generators to emit.
import type { Conv2dStep, DenseStep, Int8Type, IntegerProduct, QuantizeStep } from './program-types.js';
import { convLoops } from './conv-loops.js';

/** Names of the arrays of an integer step: weights, weight zero points, int32 bias, output factors, weight scales, input codes, codes less their zero point (int16), int32 sums. */
export type Int8ConstantKind = 'iq' | 'izp' | 'ib' | 'im' | 'is' | 'xq' | 'xs' | 'sum';

/** What integer loops need of a language beyond the float loops' Dialect. */
export interface Int8Dialect {
  /** Declares an int32 variable: 'let' / 'int32_t'. */
  int32: string;
  /** An int32 value, widened so that products cannot overflow a 16-bit int: 'x' / '(int32_t)x'. */
  widen(x: string): string;
  /** The float32 value of an int32: 'Math.fround(x)' / '(float)x'. */
  toFloat(x: string): string;
  /** A float operation's result rounded to float32: 'Math.fround(x)' / 'x' (C float arithmetic already is). */
  round32(x: string): string;
  /** Rounded to an integer, half to even: 'rne(x)' / 'rintf(x)'. */
  roundHalfEven(x: string): string;
  /** An integral in-range float as an 8-bit code: 'x' / '(uint8_t)(x)'. */
  code(type: Int8Type, x: string): string;
  /** An in-range int32 as an int16: 'x' / '(int16_t)(x)'. */
  int16(x: string): string;
}

/** The part of the float loops' Dialect the integer loops use. */
export interface BaseDialect {
  int: string;
  float: string;
  constInt: string;
  number(value: number): string;
  buffer(index: number): string;
  constant(kind: Int8ConstantKind | 'bias', step: number): string;
  int8?: Int8Dialect;
}

/** A dense or conv step with its IntegerProduct. */
export type IntegerStep = (DenseStep | Conv2dStep) & { integer: IntegerProduct };

/** Whether a step is a dense/conv step computed on 8-bit integers. */
export function isIntegerStep(step: { kind: string; integer?: IntegerProduct | null }): step is IntegerStep {
  return (step.kind === 'dense' || step.kind === 'conv2d') && Boolean(step.integer);
}

/** An array an integer step reads or writes: constants with `values`, scratch space with a `size`. */
export interface IntegerArray {
  kind: Int8ConstantKind;
  type: Int8Type | 'int16' | 'int32' | 'float32';
  values?: Int8Array | Int32Array | Float32Array;
  size?: number;
}

const uniform = (values: ArrayLike<number>) => Array.prototype.every.call(values, (v: number) => v === values[0]);

/** Per-row values are written as one literal when every row has the same. */
export function integerArrays(step: IntegerStep): IntegerArray[] {
  const p = step.integer;
  const arrays: IntegerArray[] = [{ kind: 'iq', type: 'int8', values: p.weights.q }];
  if (!uniform(p.weights.zeroPoints)) arrays.push({ kind: 'izp', type: 'int32', values: p.weights.zeroPoints });
  if (p.bias) arrays.push({ kind: 'ib', type: 'int32', values: p.bias });
  const factors = p.output.kind === 'requantize' ? p.output.multipliers : p.output.factors;
  if (factors && !uniform(factors)) arrays.push({ kind: 'im', type: 'float32', values: factors });
  if (p.output.kind === 'rescale' && !p.output.factors && !uniform(p.weights.scales)) arrays.push({ kind: 'is', type: 'float32', values: p.weights.scales });
  arrays.push({ kind: 'xq', type: inputType(p), size: inputSize(step) });
  if (step.kind === 'dense') arrays.push({ kind: 'xs', type: 'int16', size: inputSize(step) });
  arrays.push({ kind: 'sum', type: 'int32', size: outputSize(step) });
  return arrays;
}

/** The 8-bit type of an integer step's input codes (DynamicQuantizeLinear's are uint8). */
export function inputType(p: IntegerProduct): Int8Type {
  return p.input.kind === 'static' ? p.input.type : 'uint8';
}

/** Values a dense/conv step reads per observation. */
export function inputSize(step: DenseStep | Conv2dStep): number {
  return step.kind === 'dense' ? step.weights.columns : step.inChannels * step.inHeight * step.inWidth;
}

/** Values a dense/conv step writes per observation. */
export function outputSize(step: DenseStep | Conv2dStep): number {
  return step.kind === 'dense' ? step.weights.rows : step.outChannels * step.outHeight * step.outWidth;
}

/** Values per output row (1 for dense, the pixels for conv). */
export function rowLength(step: DenseStep | Conv2dStep): number {
  return step.kind === 'dense' ? 1 : step.outHeight * step.outWidth;
}

/** The range an 8-bit type saturates to. */
export function typeRange(type: Int8Type): [number, number] {
  return type === 'uint8' ? [0, 255] : [-128, 127];
}

function int8Of(d: BaseDialect): Int8Dialect {
  if (!d.int8) throw new Error('this code generator has no integer dialect, so it cannot emit an int8 graph');
  return d.int8;
}

/** A per-row value: a literal when uniform, else the array element. */
function perRow(values: ArrayLike<number>, name: string, row: string, write: (v: number) => string): string {
  return uniform(values) ? write(values[0]) : `${name}[${row}]`;
}

/** `t` clamped to [lo, hi] (float or integer expression). */
function clamp(t: string, lo: string, hi: string): string {
  return `(${t} < ${lo} ? ${lo} : (${t} > ${hi} ? ${hi} : ${t}))`;
}

/** The name of the input zero point (a literal for a static input, the per-call variable for a dynamic one). */
function inputZero(step: IntegerStep, i: number): string {
  return step.integer.input.kind === 'static' ? String(step.integer.input.zeroPoint) : `zx${i}`;
}

/** Quantizes the step's float input into its codes array (per call: DynamicQuantizeLinear's scale and zero point). */
export function inputLines(step: IntegerStep, i: number, d: BaseDialect): string[] {
  const q = int8Of(d);
  const n = (v: number) => d.number(v);
  const x = d.buffer(step.input);
  const xq = d.constant('xq', i);
  const size = inputSize(step);
  const input = step.integer.input;
  if (input.kind === 'static') {
    const [lo, hi] = typeRange(input.type).map(n);
    return [
      `for (${d.int} c = 0; c < ${size}; c++) {`,
      `  ${d.float} t = ${q.roundHalfEven(q.round32(`${x}[c] / ${n(input.scale)}`))} + ${n(input.zeroPoint)};`,
      `  ${xq}[c] = ${q.code(input.type, clamp('t', lo, hi))};`,
      '}',
    ];
  }
  // onnxruntime's DynamicQuantizeLinear: the range widened to include 0, scale (hi − lo) / 255 (1 for an all-zero
  // input), zero point round(clamp(0 − lo / scale, 0, 255)), codes round(x / scale) + zero point, saturated.
  const [lo, hi, s] = [`lo${i}`, `hi${i}`, `sx${i}`];
  return [
    `${d.float} ${lo} = ${n(0)};`,
    `${d.float} ${hi} = ${n(0)};`,
    `for (${d.int} c = 0; c < ${size}; c++) {`,
    `  if (${x}[c] < ${lo}) ${lo} = ${x}[c];`,
    `  if (${x}[c] > ${hi}) ${hi} = ${x}[c];`,
    '}',
    `${d.float} ${s} = ${hi} == ${lo} ? ${n(1)} : ${q.round32(`${q.round32(`${hi} - ${lo}`)} / ${n(255)}`)};`,
    `${d.float} zf${i} = ${n(0)} - ${q.round32(`${lo} / ${s}`)};`,
    `${q.int32} zx${i} = ${q.widen(q.roundHalfEven(clamp(`zf${i}`, n(0), n(255))))};`,
    `for (${d.int} c = 0; c < ${size}; c++) {`,
    `  ${d.float} t = ${q.roundHalfEven(q.round32(`${x}[c] / ${s}`))} + zx${i};`,
    `  ${xq}[c] = ${q.code('uint8', clamp('t', n(0), n(255)))};`,
    '}',
  ];
}

/**
 * The int32 sums Σ (x_q − x_zp)(w_q − w_zp) + bias into the step's sum array, reading codes from `codes`. A dense
 * step first takes the codes less their zero point into int16 (x_q − x_zp fits in 9 bits): int16 × int8 products
 * summed into int32 is the pattern gcc vectorizes at -O2 as pmaddwd (SSE2) / smlal (NEON).
 */
export function sumLines(step: IntegerStep, i: number, d: BaseDialect, codes = d.constant('xq', i), sums = d.constant('sum', i)): string[] {
  const q = int8Of(d);
  const p = step.integer;
  const w = d.constant('iq', i);
  const zx = inputZero(step, i);
  const columns = step.weights.columns;
  const wzp = (row: string) => perRow(p.weights.zeroPoints, d.constant('izp', i), row, String);
  const weightTerm = (at: string, row: string) => (uniform(p.weights.zeroPoints) && p.weights.zeroPoints[0] === 0 ? q.widen(`${w}[${at}]`) : `(${q.widen(`${w}[${at}]`)} - ${wzp(row)})`);
  const codeTerm = (at: string) => (zx === '0' ? q.widen(`${codes}[${at}]`) : `(${q.widen(`${codes}[${at}]`)} - ${zx})`);
  const start = (row: string) => (p.bias ? `${d.constant('ib', i)}[${row}]` : '0');
  if (step.kind === 'dense') {
    const xs = d.constant('xs', i);
    return [
      `for (${d.int} c = 0; c < ${columns}; c++) ${xs}[c] = ${q.int16(codeTerm('c'))};`,
      `for (${d.int} r = 0; r < ${step.weights.rows}; r++) {`,
      `  ${q.int32} acc = ${start('r')};`,
      `  for (${d.int} c = 0; c < ${columns}; c++) acc += ${q.widen(`${xs}[c]`)} * ${weightTerm(`r * ${columns} + c`, 'r')};`,
      `  ${sums}[r] = acc;`,
      '}',
    ];
  }
  return convLoops(step, d, {
    open: [`${q.int32} acc = ${start('oc')};`],
    // A padded position holds the zero point: (x_zp − x_zp) adds nothing, so the loops skip it.
    tap: (input, weight) => `acc += ${codeTerm(input)} * ${weightTerm(weight, 'oc')};`,
    close: (output) => [`${sums}[${output}] = acc;`],
  });
}

/** float32 statements computing `s` for row `row` from the int32 `sum` (the output conversion, then the float bias). */
export function outputStatements(step: IntegerStep, i: number, d: BaseDialect, row: string, sum: string): string[] {
  const q = int8Of(d);
  const n = (v: number) => d.number(v);
  const out = step.integer.output;
  const lines: string[] = [];
  if (out.kind === 'requantize') {
    const m = perRow(out.multipliers, d.constant('im', i), row, n);
    const [lo, hi] = typeRange(out.type).map(n);
    lines.push(
      `${d.float} t = ${q.roundHalfEven(q.round32(`${q.toFloat(sum)} * ${m}`))} + ${n(out.zeroPoint)};`,
      `${d.float} s = ${q.round32(`(${clamp('t', lo, hi)} - ${n(out.zeroPoint)}) * ${n(out.scale)}`)};`,
    );
  } else if (out.factors) {
    lines.push(`${d.float} s = ${q.round32(`${q.toFloat(sum)} * ${perRow(out.factors, d.constant('im', i), row, n)}`)};`);
  } else {
    const scale = perRow(step.integer.weights.scales, d.constant('is', i), row, n);
    lines.push(`${d.float} s = ${q.round32(`${q.toFloat(sum)} * ${q.round32(`sx${i} * ${scale}`)}`)};`);
  }
  if (step.bias) lines.push(`s = ${q.round32(`s + ${d.constant('bias', i)}[${row}]`)};`);
  return lines;
}

/** From the int32 sums to the step's float output buffer: the output conversion, the float bias, the activation. */
export function epilogueLines(step: IntegerStep, i: number, d: BaseDialect, activation: (s: string) => string): string[] {
  const y = d.buffer(step.output);
  const sums = d.constant('sum', i);
  const pixels = rowLength(step);
  const rows = step.kind === 'dense' ? step.weights.rows : step.outChannels;
  if (pixels === 1) {
    return [`for (${d.int} r = 0; r < ${rows}; r++) {`, ...outputStatements(step, i, d, 'r', `${sums}[r]`).map((l) => `  ${l}`), `  ${y}[r] = ${activation('s')};`, '}'];
  }
  return [
    `for (${d.int} r = 0; r < ${rows}; r++) {`,
    `  for (${d.int} p = 0; p < ${pixels}; p++) {`,
    ...outputStatements(step, i, d, 'r', `${sums}[r * ${pixels} + p]`).map((l) => `    ${l}`),
    `    ${y}[r * ${pixels} + p] = ${activation('s')};`,
    '  }',
    '}',
  ];
}

/** A whole integer step as the file computes it: quantize, sum, convert back. */
export function integerStepLines(step: IntegerStep, i: number, d: BaseDialect, activation: (s: string) => string): string[] {
  return [...inputLines(step, i, d), ...sumLines(step, i, d), ...epilogueLines(step, i, d, activation)];
}

/** QuantizeLinear then DequantizeLinear, elementwise. */
export function quantizeStepLines(step: QuantizeStep, d: BaseDialect): string[] {
  const q = int8Of(d);
  const n = (v: number) => d.number(v);
  const [lo, hi] = typeRange(step.type).map(n);
  return [
    `for (${d.int} o = 0; o < ${step.size}; o++) {`,
    `  ${d.float} t = ${q.roundHalfEven(q.round32(`${d.buffer(step.input)}[o] / ${n(step.scale)}`))} + ${n(step.zeroPoint)};`,
    `  ${d.buffer(step.output)}[o] = ${q.round32(`(${clamp('t', lo, hi)} - ${n(step.zeroPoint)}) * ${n(step.scale)}`)};`,
    '}',
  ];
}
