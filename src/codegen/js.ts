// Program → a dependency-free ES module (Node and browsers): weights inlined as base64 and decoded once at
// import, every buffer preallocated, straight loops, so a call allocates nothing (qValuesBatch allocates
// only the array it returns).
import { describeStep, headerLines, type GenerateOptions } from './header.js';
import { stepLines, type Dialect } from './loops.js';
import type { Program, Step } from './program.js';
import { integerConstantLines, JS_INT8_DIALECT, RNE, usesInt8 } from './int8-js.js';
import { kernelParts } from './wasm-js.js';
import type { KernelChoice } from './wasm-layout.js';

/** Options of generateJs(): the header's, and where the dense layers run. */
export interface JsGenerateOptions extends GenerateOptions {
  /**
   * `auto` (default): runs of dense layers large enough to gain run in a WebAssembly SIMD kernel, the rest in
   * plain JS; `wasm-simd`: every dense layer in the kernel; `js`: no WebAssembly. Wherever WebAssembly SIMD
   * is unavailable at run time the module falls back to its plain loops.
   */
  kernels?: KernelChoice;
}

const jsDialect: Dialect = {
  int: 'let',
  float: 'let',
  constInt: 'const',
  number: (v) => (Object.is(v, -0) ? '0' : String(v)),
  // JavaScript has no Math.erf: the module defines erf() when a step needs it (ERF below).
  math: (fn, x) => (fn === 'erf' ? `erf(${x})` : `Math.${fn}(${x})`),
  buffer: (i) => `b${i}`,
  constant: (kind, step) => `${kind}${step}`,
  int8: JS_INT8_DIALECT,
};

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function littleEndian(values: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (values instanceof Float32Array ? view.setFloat32(i * 4, v, true) : view.setInt32(i * 4, v, true)));
  return bytes;
}

const f32 = (values: Float32Array) => `f32("${base64(littleEndian(values))}")`;
const i32 = (values: Int32Array) => `i32("${base64(littleEndian(values))}")`;
const i8 = (values: Int8Array) => `i8("${base64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))}")`;

function constantLines(step: Step, i: number, buffers: number[]): string[] {
  const lines = [`// step ${i + 1}: ${describeStep(step, buffers)}`];
  const c = jsDialect.constant;
  if ((step.kind === 'dense' || step.kind === 'conv2d') && step.integer) {
    lines.push(...integerConstantLines(step, i, c, (v) => (v instanceof Int8Array ? i8(v) : v instanceof Int32Array ? i32(v) : f32(v))));
    if (step.bias) lines.push(`const ${c('bias', i)} = ${f32(step.bias)};`);
  } else if (step.kind === 'dense' || step.kind === 'conv2d') {
    const w = step.weights;
    if (w.int8) lines.push(`const ${c('q', i)} = ${i8(w.int8.q)};`, `const ${c('s', i)} = ${f32(w.int8.scales)};`);
    else lines.push(`const ${c('w', i)} = ${f32(w.values)};`);
    if (step.bias) lines.push(`const ${c('bias', i)} = ${f32(step.bias)};`);
  } else if (step.kind === 'gather') {
    lines.push(`const ${c('idx', i)} = ${i32(step.indices)};`);
  } else if (step.kind === 'add-constant' || step.kind === 'constant-op') {
    lines.push(`const ${c('k', i)} = ${f32(step.constant)};`);
  } else if (step.kind === 'prelu') {
    lines.push(`const ${c('k', i)} = ${f32(step.slope)};`);
  } else if (step.kind === 'layer-norm') {
    lines.push(`const ${c('w', i)} = ${f32(step.scale)};`);
    if (step.bias) lines.push(`const ${c('bias', i)} = ${f32(step.bias)};`);
  }
  return lines.length > 1 ? lines : [];
}

const DECODERS = `// Weights are little-endian bytes in base64, decoded once here (atob exists in browsers and Node ≥ 16).
function bytesOf(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
function f32(text) {
  const view = new DataView(bytesOf(text).buffer);
  const out = new Float32Array(view.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
function i32(text) {
  const view = new DataView(bytesOf(text).buffer);
  const out = new Int32Array(view.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}
function i8(text) {
  return new Int8Array(bytesOf(text).buffer);
}`;

// The Gauss error function to float32 accuracy (|error| < 1e-7): its Maclaurin series below 0.5, above it
// erfc(x) ≈ t·exp(−x² + P(t)), t = 1/(1 + x/2) (Numerical Recipes' erfcc, fractional error < 1.2e-7).
const ERF = `function erf(x) {
  const a = Math.abs(x);
  if (a < 0.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 10; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return sum * 1.1283791670955126;
  }
  const t = 1 / (1 + 0.5 * a);
  const p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-a * a + p);
  return x >= 0 ? 1 - erfc : erfc - 1;
}`;

function usesErf(program: Program): boolean {
  return program.steps.some((s) => (s.kind === 'dense' || s.kind === 'conv2d' || s.kind === 'activation') && s.activation?.kind === 'erf');
}

/** The policy as a dependency-free ES module (see the header comment it starts with). */
export function generateJs(program: Program, options: JsGenerateOptions = {}): string {
  const n = program.observationSize;
  const actions = program.actionCount;
  const result = jsDialect.buffer(program.result);
  const comment = (lines: string[]) => lines.map((l) => `// ${l}`.trimEnd());
  const run = program.steps.flatMap((step, i) => [`  // step ${i + 1}: ${describeStep(step, program.buffers)}`, ...stepLines(program, step, i, jsDialect).map((l) => `  ${l}`)]);
  const kernel = kernelParts(program, options.kernels ?? 'auto', { ...jsDialect, stepLines: (step, i) => stepLines(program, step, i, jsDialect) });
  return [
    ...comment(headerLines(program, options)),
    '//',
    '// Exports: env, observationShape, observationSize, actionCount and',
    '//   qValues(obs)             outputs for one observation (observationSize numbers, the env\'s layout). The returned',
    '//                            Float32Array is this module\'s own buffer, overwritten by the next call: copy it to keep it.',
    '//   qValuesBatch(obs, batch) a new Float32Array of batch × actionCount outputs for observations laid end to end.',
    '//   act(obs)                 the index of the largest output (the first one wins a tie).',
    "//   kernels                  'wasm-simd' when dense layers run in the module's WebAssembly SIMD kernel, else 'js'.",
    '// No dependencies; nothing is allocated per call except the array qValuesBatch returns.',
    '',
    DECODERS,
    '',
    ...(usesErf(program) ? [ERF, ''] : []),
    ...(usesInt8(program) ? [RNE, ''] : []),
    ...program.steps.flatMap((step, i) => constantLines(step, i, program.buffers)),
    '',
    ...kernel.prelude,
    ...kernel.buffers,
    '',
    `export const env = ${JSON.stringify(program.env)};`,
    `export const observationShape = ${JSON.stringify(program.observationShape)};`,
    `export const observationSize = ${n};`,
    `export const actionCount = ${actions};`,
    '',
    '// Computes the outputs of the observation in b0 into ' + result + '.',
    ...kernel.run(run),
    '',
    'export function qValues(obs) {',
    `  if (obs.length !== ${n}) throw new RangeError(\`expected ${n} observation values, got \${obs.length}\`);`,
    `  for (let i = 0; i < ${n}; i++) b0[i] = obs[i];`,
    '  run();',
    `  return ${result};`,
    '}',
    '',
    'export function qValuesBatch(obs, batch) {',
    `  if (!Number.isInteger(batch) || batch < 0 || obs.length !== batch * ${n}) {`,
    `    throw new RangeError(\`expected \${batch} × ${n} observation values, got \${obs.length}\`);`,
    '  }',
    `  const out = new Float32Array(batch * ${actions});`,
    '  for (let b = 0; b < batch; b++) {',
    `    for (let i = 0; i < ${n}; i++) b0[i] = obs[b * ${n} + i];`,
    '    run();',
    `    for (let a = 0; a < ${actions}; a++) out[b * ${actions} + a] = ${result}[a];`,
    '  }',
    '  return out;',
    '}',
    '',
    'export function act(obs) {',
    '  const q = qValues(obs);',
    '  let best = 0;',
    `  for (let a = 1; a < ${actions}; a++) if (q[a] > q[best]) best = a;`,
    '  return best;',
    '}',
    '',
  ].join('\n');
}
