// Program → one C99 header: weights as static const arrays, static scratch buffers, and two functions,
// qdistill_q_values and qdistill_act. No malloc and nothing from libc but math.h, so it builds for
// microcontrollers as well as servers. Everything is static, so the header can be included in several files.
import { UsageError } from '../util/errors.js';
import { describeStep, headerLines, type GenerateOptions } from './header.js';
import { stepLines, type Dialect } from './loops.js';
import type { Program, Step } from './program.js';

interface CHeaderOptions extends GenerateOptions {
  /** The header's file name, for the include guard (default qdistill_policy.h). */
  fileName?: string;
}

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
};

function arrayLines(type: string, name: string, values: ArrayLike<number>, write: (v: number) => string): string[] {
  const items = Array.from(values, write);
  const rows: string[] = [];
  for (let i = 0; i < items.length; i += 10) rows.push(`  ${items.slice(i, i + 10).join(', ')},`);
  return [`static const ${type} ${name}[${items.length}] = {`, ...rows, '};'];
}

function constantLines(step: Step, i: number, buffers: number[]): string[] {
  const c = cDialect.constant;
  const lines: string[] = [];
  if (step.kind === 'dense' || step.kind === 'conv2d') {
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

export function generateC(program: Program, options: CHeaderOptions = {}): string {
  const guard = (options.fileName ?? 'qdistill_policy.h').toUpperCase().replace(/[^A-Z0-9]/g, '_').replace(/^(\d)/, '_$1');
  const actions = program.actionCount;
  const result = cDialect.buffer(program.result);
  const usesInt8 = program.steps.some((s) => (s.kind === 'dense' || s.kind === 'conv2d') && s.weights.int8);
  const body = program.steps.flatMap((step, i) => [`  /* step ${i + 1}: ${describeStep(step, program.buffers)} */`, ...stepLines(program, step, i, cDialect).map((l) => `  ${l}`)]);
  return [
    '/*',
    ...headerLines(program, options).map((l) => ` * ${l}`.trimEnd()),
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
    '',
    ...program.steps.flatMap((step, i) => constantLines(step, i, program.buffers)),
    '/* Outputs for one observation: writes QDISTILL_ACTION_COUNT floats to out. */',
    'static inline void qdistill_q_values(const float *obs, float *out) {',
    ...program.buffers.slice(1).map((size, i) => `  static float ${cDialect.buffer(i + 1)}[${size}];`),
    ...body,
    `  for (int a = 0; a < ${actions}; a++) out[a] = ${result}[a];`,
    '}',
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
