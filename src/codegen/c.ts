// Program → one C99 header: weights as static const arrays, static scratch buffers, and two functions,
// qdistill_q_values and qdistill_act. No malloc and nothing from libc but math.h, so it builds for
// microcontrollers as well as servers. Everything is static, so the header can be included in several files.
// Dense dot products use 8 independent accumulators in a fixed order (loops.ts, Dialect.lanes), which gcc
// vectorizes at -O2 without -ffast-math; the integer steps of int8 graphs are written by c-int8.ts.
import { UsageError } from '../util/errors.js';
import { describeStep, headerLines, type GenerateOptions } from './header.js';
import { FIXED_POINT_HELPER, integerConstantLines, integerFunctionLines, integerStepBody, integerSummary, planIntegerChains, C_INT8_DIALECT, type IntegerPlan, type Requantization } from './c-int8.js';
import { inputLines, isIntegerStep, type IntegerStep } from './int8-loops.js';
import { activationExpression, laneTree, stepLines, type Dialect } from './loops.js';
import type { Program, Step } from './program.js';

/** Options of generateC(): the header's, the include guard's file name, and how int8 layers meet. */
export interface CHeaderOptions extends GenerateOptions {
  /** The header's file name, for the include guard (default qdistill_policy.h). */
  fileName?: string;
  /**
   * int8 graphs: 'fixed-point' (default) hands one integer layer's output to the next as 8-bit codes by an
   * integer multiplier and shift; 'float' goes back to float between layers as the file's ONNX ops do.
   */
  requantize?: Requantization;
}

/** Accumulators per dense dot product (see Dialect.lanes). */
export const C_LANES = 8;

/** The shortest decimal that reads back as the same float32, as a C float literal. */
export function cFloat(value: number): string {
  const v = Math.fround(value);
  if (!Number.isFinite(v)) throw new UsageError(`export c: the model holds a non-finite number (${value}), which a C float literal cannot write`);
  if (Object.is(v, -0)) return '-0.0f';
  let text = '';
  for (let digits = 1; digits <= 9; digits++) {
    text = v.toPrecision(digits);
    if (Math.fround(Number(text)) === v) break;
  }
  if (text.includes('e')) text = text.replace(/^(-?\d+)e/, '$1.0e');
  else if (!text.includes('.')) text += '.0';
  return `${text}f`;
}

const cDialect: Dialect = {
  int: 'int',
  float: 'float',
  constInt: 'const int',
  number: cFloat,
  math: (fn, x) => `${fn}f(${x})`,
  // The observation is read where it lies; the other buffers are static scratch space.
  buffer: (i) => (i === 0 ? 'obs' : `b${i}`),
  constant: (kind, step) => `qdistill_${kind}${step}`,
  int8: C_INT8_DIALECT,
  lanes: C_LANES,
};

function arrayLines(type: string, name: string, values: ArrayLike<number>, write: (v: number) => string): string[] {
  const items = Array.from(values, write);
  const rows: string[] = [];
  for (let i = 0; i < items.length; i += 10) rows.push(`  ${items.slice(i, i + 10).join(', ')},`);
  return [`static const ${type} ${name}[${items.length}] = {`, ...rows, '};'];
}

function constantLines(step: Step, i: number, buffers: number[], plan: IntegerPlan): string[] {
  const c = cDialect.constant;
  const lines: string[] = [];
  if (isIntegerStep(step)) {
    lines.push(...integerConstantLines(step, i, cDialect, plan, cFloat));
    // A chained step's float bias is in its fixed-point offsets.
    if (step.bias && !plan.chains.has(i)) lines.push(...arrayLines('float', c('bias', i), step.bias, cFloat));
  } else if (step.kind === 'dense' || step.kind === 'conv2d') {
    const w = step.weights;
    if (w.int8) lines.push(...arrayLines('int8_t', c('q', i), w.int8.q, String), ...arrayLines('float', c('s', i), w.int8.scales, cFloat));
    else lines.push(...arrayLines('float', c('w', i), w.values, cFloat));
    if (step.bias) lines.push(...arrayLines('float', c('bias', i), step.bias, cFloat));
  } else if (step.kind === 'gather') {
    lines.push(...arrayLines('int', c('idx', i), step.indices, String));
  } else if (step.kind === 'add-constant' || step.kind === 'constant-op') {
    lines.push(...arrayLines('float', c('k', i), step.constant, cFloat));
  } else if (step.kind === 'prelu') {
    lines.push(...arrayLines('float', c('k', i), step.slope, cFloat));
  } else if (step.kind === 'layer-norm') {
    lines.push(...arrayLines('float', c('w', i), step.scale, cFloat));
    if (step.bias) lines.push(...arrayLines('float', c('bias', i), step.bias, cFloat));
  }
  return lines.length ? [`/* step ${i + 1}: ${describeStep(step, buffers)} */`, ...lines, ''] : [];
}

/** The statements of step i in qdistill_q_values. */
function bodyLines(program: Program, step: Step, i: number, plan: IntegerPlan): string[] {
  if (!isIntegerStep(step)) return stepLines(program, step, i, cDialect);
  return integerStepBody(program, step, i, cDialect, plan, (s) => activationExpression(step.activation, s, cDialect));
}

/** The first step, when it is an integer step that alone reads the observation at a static scale: the entry taking codes. */
function codesEntry(program: Program, plan: IntegerPlan): number | null {
  const first = program.steps.findIndex((s) => s.input === 0 || (s.kind === 'binary' && s.other === 0) || (s.kind === 'dueling' && s.value === 0));
  const step = program.steps[first];
  if (first < 0 || !isIntegerStep(step) || step.integer.input.kind !== 'static' || step.input !== 0 || plan.fed.has(first)) return null;
  const readers = program.steps.filter((s) => s.input === 0 || (s.kind === 'binary' && s.other === 0) || (s.kind === 'dueling' && s.value === 0));
  return readers.length === 1 && program.result !== 0 ? first : null;
}

/** What the header comment says about the arithmetic: the summation order, and for int8 graphs what is integer. */
function arithmeticLines(program: Program, plan: IntegerPlan, entry: number | null): string[] {
  const names = Array.from({ length: C_LANES }, (_, l) => `a${l}`);
  const lines = [
    `Summation order (deterministic): a dense float layer sums row r in ${C_LANES} lanes, lane l adding w[r][c] * x[c] for`,
    `the columns c = l, l + ${C_LANES}, l + ${2 * C_LANES}, ... in that order, starting from 0; the row's sum is`,
    `${laneTree(names)}, then times the int8 scale (int8 weights), plus`,
    'the bias. Every operation is one float32 operation in this order, so results do not depend on the compiler or',
    'flags as long as float32 stays float32 (FLT_EVAL_METHOD 0) and a * b + c is not contracted to an fma',
    '(-std=c99 implies -ffp-contract=off in gcc). gcc >= 12 vectorizes the lanes at -O2; no -ffast-math needed.',
    'Conv layers sum in the order of their loops (input channel, kernel row, kernel column).',
  ];
  const summary = integerSummary(program, plan);
  if (summary.length === 0) return lines;
  return [
    ...lines,
    '',
    'int8 layers: 8-bit codes times int8 weights, summed exactly in int32, in functions marked QDISTILL_INTEGER',
    '(define it before including this header, e.g. to place them in fast RAM); those use no float at all.',
    'Rounding is half to even and saturation to the 8-bit range, as the ONNX quantization ops define them.',
    ...summary,
    ...(entry !== null ? ['qdistill_q_values_q8(codes, out) takes the observation already quantized to step 1\'s codes.'] : []),
  ];
}

export function generateC(program: Program, options: CHeaderOptions = {}): string {
  const guard = (options.fileName ?? 'qdistill_policy.h').toUpperCase().replace(/[^A-Z0-9]/g, '_').replace(/^(\d)/, '_$1');
  const actions = program.actionCount;
  const result = cDialect.buffer(program.result);
  const plan = planIntegerChains(program, options.requantize ?? 'fixed-point');
  const entry = codesEntry(program, plan);
  // With an entry taking codes, the first step's quantization of the observation is done by qdistill_q_values only.
  const runPlan: IntegerPlan = entry === null ? plan : { chains: plan.chains, fed: new Set([...plan.fed, entry]) };
  const integerSteps = program.steps.filter(isIntegerStep);
  const usesInt8 = integerSteps.length > 0 || program.steps.some((s) => (s.kind === 'dense' || s.kind === 'conv2d') && s.weights.int8);
  const body = program.steps.flatMap((step, i) => [`  /* step ${i + 1}: ${describeStep(step, program.buffers)} */`, ...bodyLines(program, step, i, runPlan).map((l) => `  ${l}`)]);
  const integerFunctions = program.steps.flatMap((step, i) => (isIntegerStep(step) ? integerFunctionLines(program, step, i, cDialect, plan) : []));
  // A chained step's float output is never written: the next step reads its codes.
  const skipped = new Set([...plan.chains.keys()].map((i) => program.steps[i].output));
  const buffers = program.buffers.flatMap((size, i) => (i === 0 || skipped.has(i) ? [] : [`  static float ${cDialect.buffer(i)}[${size}];`]));
  const tail = `  for (int a = 0; a < ${actions}; a++) out[a] = ${result}[a];`;
  const first = entry === null ? null : (program.steps[entry] as IntegerStep);
  const entryCodes = entry === null ? '' : cDialect.constant('xq', entry);
  const codeType = first?.integer.input.kind === 'static' ? `${first.integer.input.type}_t` : 'uint8_t';
  const functions =
    entry === null
      ? ['/* Outputs for one observation: writes QDISTILL_ACTION_COUNT floats to out. */', 'static inline void qdistill_q_values(const float *obs, float *out) {', ...buffers, ...body, tail, '}']
      : [
          '/* Everything after the observation is quantized to step 1\'s codes. */',
          'static void qdistill_from_codes(float *out) {',
          ...buffers,
          ...body,
          tail,
          '}',
          '',
          '/* Outputs for one observation: writes QDISTILL_ACTION_COUNT floats to out. */',
          'static inline void qdistill_q_values(const float *obs, float *out) {',
          ...inputLines(first as IntegerStep, entry, cDialect).map((l) => `  ${l}`),
          '  qdistill_from_codes(out);',
          '}',
          '',
          `/* Outputs for an observation already quantized to step 1's ${codeType} codes (QDISTILL_OBS_SIZE of them). */`,
          `static inline void qdistill_q_values_q8(const ${codeType} *codes, float *out) {`,
          `  for (int c = 0; c < QDISTILL_OBS_SIZE; c++) ${entryCodes}[c] = codes[c];`,
          '  qdistill_from_codes(out);',
          '}',
        ];
  return [
    '/*',
    ...headerLines(program, options).map((l) => ` * ${l}`.trimEnd()),
    ' *',
    ...arithmeticLines(program, plan, entry).map((l) => ` * ${l}`.trimEnd()),
    ' *',
    ' * Use: #include this header (everything in it is static), then',
    ' *   float q[QDISTILL_ACTION_COUNT]; qdistill_q_values(obs, q);   or   int action = qdistill_act(obs);',
    " * where obs points to QDISTILL_OBS_SIZE floats in the env's layout. qdistill_act returns the index of the",
    ' * largest output (the first one wins a tie).',
    ' * No malloc; nothing from libc but math.h (link with -lm). Not reentrant: the scratch buffers are static,',
    ' * so calls from several threads need a lock around them.',
    ' */',
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '',
    '#include <math.h>',
    ...(usesInt8 ? ['#include <stdint.h>'] : []),
    '',
    `#define QDISTILL_OBS_SIZE ${program.observationSize}`,
    `#define QDISTILL_ACTION_COUNT ${actions}`,
    ...(integerSteps.length ? ['#ifndef QDISTILL_INTEGER', '#define QDISTILL_INTEGER', '#endif'] : []),
    '',
    ...program.steps.flatMap((step, i) => constantLines(step, i, program.buffers, plan)),
    ...(plan.chains.size ? [...FIXED_POINT_HELPER, ''] : []),
    ...integerFunctions,
    ...functions,
    '',
    '/* The greedy action: argmax of the outputs, the first one on a tie. */',
    'static inline int qdistill_act(const float *obs) {',
    '  float q[QDISTILL_ACTION_COUNT];',
    '  int best = 0;',
    '  qdistill_q_values(obs, q);',
    '  for (int a = 1; a < QDISTILL_ACTION_COUNT; a++) if (q[a] > q[best]) best = a;',
    '  return best;',
    '}',
    '',
    `#endif /* ${guard} */`,
    '',
  ].join('\n');
}
