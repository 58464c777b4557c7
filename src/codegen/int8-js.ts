// What the ES module generator (js.ts) needs for int8 graphs: how integer loops are written in JavaScript (exact
// integers in plain numbers, Math.fround after every float operation so the float parts are onnxruntime's
// float32 arithmetic), the round-half-to-even helper, and the integer steps' arrays as module constants.
import { integerArrays, isIntegerStep, type Int8ConstantKind, type Int8Dialect } from './int8-loops.js';
import type { Program, Step } from './program-types.js';

/** How the integer loops are written in JavaScript. */
export const JS_INT8_DIALECT: Int8Dialect = {
  int32: 'let',
  widen: (x) => x,
  toFloat: (x) => `Math.fround(${x})`,
  round32: (x) => `Math.fround(${x})`,
  roundHalfEven: (x) => `rne(${x})`,
  code: (_type, x) => x,
  int16: (x) => x,
};

/** Whether the module needs RNE (integer steps or QuantizeLinear → DequantizeLinear). */
export function usesInt8(program: Program): boolean {
  return program.steps.some((s) => s.kind === 'quantize' || isIntegerStep(s));
}

// Math.round rounds halves up; the ONNX quantization ops round them to even. v is a float32 value, so the
// difference below is exact.
export const RNE = `function rne(v) {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}`;

const TYPED = { int8: 'Int8Array', uint8: 'Uint8Array', int16: 'Int16Array', int32: 'Int32Array', float32: 'Float32Array' } as const;

/**
 * The arrays of an integer step as module constants: `encode(kind, values)` writes a constant array (the
 * module's base64 decoders), scratch arrays are allocated once here.
 */
export function integerConstantLines(step: Step, i: number, name: (kind: Int8ConstantKind, step: number) => string, encode: (values: Int8Array | Int32Array | Float32Array) => string): string[] {
  if (!isIntegerStep(step)) return [];
  return integerArrays(step).map((a) => `const ${name(a.kind, i)} = ${a.values ? encode(a.values) : `new ${TYPED[a.type]}(${a.size})`};`);
}
