// The integer steps of an int8 graph in the C header. Every integer step's sums are a function of its own that
// touches integers only (int8/uint8 codes and weights, int32 sums), marked QDISTILL_INTEGER. Where one integer
// layer feeds the next (`requantize: 'fixed-point'`, the default), the codes never leave the integer domain:
// the int32 sum goes straight to the next layer's 8-bit input by a fixed-point multiplier and shift (as gemmlowp
// and TFLite do; here rounding half to even, like the ONNX ops), ReLU is a clamp at the zero point, and float
// is left only where the observation enters and the Q-values leave. With `requantize: 'float'` each layer goes
// back to float as the ONNX ops of the file do (what onnxruntime computes, bit for bit for QOperator files).
import { epilogueLines, inputLines, inputType, integerArrays, isIntegerStep, sumLines, typeRange, type BaseDialect, type Int8Dialect, type IntegerStep } from './int8-loops.js';
import type { Program, Step } from './program-types.js';

/** How int8 layers hand their output to the next int8 layer in C. */
export type Requantization = 'fixed-point' | 'float';
/** The choices of CHeaderOptions.requantize (and `export c --requantize`). */
export const REQUANTIZATIONS = ['fixed-point', 'float'] as const;

/** How the integer loops are written in C99: int32_t sums, float32 arithmetic as is, rintf (half to even). */
export const C_INT8_DIALECT: Int8Dialect = {
  int32: 'int32_t',
  widen: (x) => `(int32_t)${x}`,
  toFloat: (x) => `(float)${x}`,
  round32: (x) => `(${x})`,
  roundHalfEven: (x) => `rintf(${x})`,
  code: (type, x) => `(${type}_t)${x}`,
  int16: (x) => `(int16_t)${x}`,
};

/**
 * out = clamp(roundHalfEven((in · multiplier[r] + addend[r]) / 2^shift[r]) + zeroPoint, lo, hi): a real factor
 * M = multiplier / 2^shift with a 31-bit multiplier, and a real offset addend / 2^shift, per output row.
 */
export interface FixedPointStage {
  multiplier: Int32Array;
  shift: Int32Array;
  addend: bigint[];
  zeroPoint: number;
  lo: number;
  hi: number;
  /** What `in` is: the int32 sum, or the previous stage's code less its zero point. */
  input: 'sum' | 'code';
}

/** An integer step whose output goes to the next integer step's codes by fixed-point stages. */
export interface IntegerChain {
  from: number;
  to: number;
  stages: FixedPointStage[];
}

/** The integer steps' chains in a program: which step hands its codes to which. */
export interface IntegerPlan {
  /** By the index of the producing step. */
  chains: Map<number, IntegerChain>;
  /** Indices of steps whose codes a chain writes (their input is not quantized from float). */
  fed: Set<number>;
}

const LIMIT = 2n ** 62n;

/** Multiplier and shift of a real factor m > 0 (31-bit multiplier in [2^30, 2^31)), or null when it does not fit. */
function fixedPoint(m: number): { multiplier: number; shift: number } | null {
  if (!(m > 0) || !Number.isFinite(m)) return null;
  let shift = 30 - Math.floor(Math.log2(m));
  let multiplier = Math.round(m * 2 ** shift);
  if (multiplier >= 2 ** 31) {
    multiplier = Math.round(multiplier / 2);
    shift -= 1;
  }
  return shift >= 1 && shift <= 62 ? { multiplier, shift } : null;
}

/** A stage for factors `m` and offsets `a` per row (one of each for all rows, or one per row), or null. */
function stage(rows: number, m: (r: number) => number, a: (r: number) => number, zeroPoint: number, lo: number, hi: number, input: FixedPointStage['input'], inputMagnitude: number): FixedPointStage | null {
  const multiplier = new Int32Array(rows);
  const shift = new Int32Array(rows);
  const addend: bigint[] = [];
  for (let r = 0; r < rows; r++) {
    const fp = fixedPoint(m(r));
    if (!fp) return null;
    const offset = BigInt(Math.round(a(r) * 2 ** fp.shift));
    // |in · multiplier + addend| stays below 2^63.
    if ((offset < 0n ? -offset : offset) >= LIMIT || BigInt(inputMagnitude) * BigInt(fp.multiplier) >= LIMIT) return null;
    multiplier[r] = fp.multiplier;
    shift[r] = fp.shift;
    addend.push(offset);
  }
  return { multiplier, shift, addend, zeroPoint, lo, hi, input };
}

function readers(program: Program, buffer: number): Step[] {
  return program.steps.filter((s) => s.input === buffer || (s.kind === 'dueling' && s.value === buffer) || (s.kind === 'binary' && s.other === buffer));
}

/** The stages from step p's int32 sum to step s's input codes, or null when that is not an integer-only path. */
function chainStages(p: IntegerStep, s: IntegerStep): FixedPointStage[] | null {
  const input = s.integer.input;
  if (input.kind !== 'static') return null;
  if (p.activation && p.activation.kind !== 'relu') return null;
  const relu = p.activation?.kind === 'relu';
  const rows = p.kind === 'dense' ? p.weights.rows : p.outChannels;
  const at = (a: ArrayLike<number>, r: number) => a[a.length === 1 ? 0 : r];
  const bias = (r: number) => (p.bias ? p.bias[r] : 0);
  const [lo, hi] = typeRange(input.type);
  const floor = relu ? Math.max(lo, input.zeroPoint) : lo;
  const out = p.integer.output;
  // A sum fits in int32; a code less its zero point in 9 bits.
  const sumMagnitude = 2 ** 31;
  if (out.kind === 'rescale') {
    if (!out.factors) return null;
    const factors = out.factors;
    const only = stage(rows, (r) => at(factors, r) / input.scale, (r) => bias(r) / input.scale, input.zeroPoint, floor, hi, 'sum', sumMagnitude);
    return only ? [only] : null;
  }
  const [ylo, yhi] = typeRange(out.type);
  const same = !p.bias && Math.fround(out.scale) === Math.fround(input.scale) && out.zeroPoint === input.zeroPoint && out.type === input.type;
  const first = stage(rows, (r) => at(out.multipliers, r), () => 0, out.zeroPoint, same && relu ? Math.max(ylo, out.zeroPoint) : ylo, yhi, 'sum', sumMagnitude);
  if (!first) return null;
  if (same) return [first];
  const second = stage(rows, () => out.scale / input.scale, (r) => bias(r) / input.scale, input.zeroPoint, floor, hi, 'code', 256);
  return second ? [first, second] : null;
}

/** Which integer steps hand their codes straight to the next one (none with `requantize: 'float'`). */
export function planIntegerChains(program: Program, requantize: Requantization): IntegerPlan {
  const plan: IntegerPlan = { chains: new Map(), fed: new Set() };
  if (requantize === 'float') return plan;
  program.steps.forEach((p, i) => {
    if (!isIntegerStep(p) || p.output === program.result) return;
    const next = readers(program, p.output);
    if (next.length !== 1 || !isIntegerStep(next[0])) return;
    const s = next[0];
    const stages = chainStages(p, s);
    if (!stages) return;
    const to = program.steps.indexOf(s);
    plan.chains.set(i, { from: i, to, stages });
    plan.fed.add(to);
  });
  return plan;
}

const uniform = (values: ArrayLike<number>) => Array.prototype.every.call(values, (v: number) => v === values[0]);

function arrayLines(type: string, name: string, values: readonly string[]): string[] {
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += 10) rows.push(`  ${values.slice(i, i + 10).join(', ')},`);
  return [`static const ${type} ${name}[${values.length}] = {`, ...rows, '};'];
}

const C_TYPES = { int8: 'int8_t', uint8: 'uint8_t', int16: 'int16_t', int32: 'int32_t', float32: 'float' } as const;

/** The arrays of integer step `i` (constants and scratch) and of its chain's stages, at file scope. */
export function integerConstantLines(step: IntegerStep, i: number, d: BaseDialect, plan: IntegerPlan, writeFloat: (v: number) => string): string[] {
  const lines: string[] = [];
  for (const a of integerArrays(step)) {
    const name = d.constant(a.kind, i);
    if (a.values) lines.push(...arrayLines(`${C_TYPES[a.type]}`, name, Array.from(a.values, a.type === 'float32' ? writeFloat : String)));
    else lines.push(`static ${C_TYPES[a.type]} ${name}[${a.size}];`);
  }
  plan.chains.get(i)?.stages.forEach((s, k) => {
    if (!uniform(s.multiplier)) lines.push(...arrayLines('int32_t', `qdistill_mul${i}_${k}`, Array.from(s.multiplier, String)));
    if (!uniform(s.shift)) lines.push(...arrayLines('int8_t', `qdistill_shift${i}_${k}`, Array.from(s.shift, String)));
    if (s.addend.some((a) => a !== s.addend[0])) lines.push(...arrayLines('int64_t', `qdistill_add${i}_${k}`, s.addend.map(int64)));
  });
  return lines;
}

const int64 = (v: bigint) => `${v}LL`;

/** The fixed-point helper the chains use; integer only. */
export const FIXED_POINT_HELPER = [
  '/* round(p / 2^shift), half to even, saturated to ±2^30 (integer arithmetic only; shift >= 1). */',
  'QDISTILL_INTEGER static int32_t qdistill_shift_round(int64_t p, int shift) {',
  '  const int64_t a = p < 0 ? -p : p;',
  '  int64_t q = a >> shift;',
  '  const int64_t rest = a - (q << shift);',
  '  const int64_t half = (int64_t)1 << (shift - 1);',
  '  if (rest > half || (rest == half && (q & 1))) q++;',
  '  if (q > ((int64_t)1 << 30)) q = (int64_t)1 << 30;',
  '  return (int32_t)(p < 0 ? -q : q);',
  '}',
];

function stageTerm(s: FixedPointStage, i: number, k: number, row: string, value: string): string {
  const mul = uniform(s.multiplier) ? `${s.multiplier[0]}` : `qdistill_mul${i}_${k}[${row}]`;
  const shift = uniform(s.shift) ? `${s.shift[0]}` : `qdistill_shift${i}_${k}[${row}]`;
  const add = s.addend.every((a) => a === s.addend[0]) ? (s.addend[0] === 0n ? '' : ` + ${int64(s.addend[0])}`) : ` + qdistill_add${i}_${k}[${row}]`;
  return `qdistill_shift_round((int64_t)${value} * ${mul}${add}, ${shift}) + ${s.zeroPoint}`;
}

function clampLine(v: string, lo: number, hi: number): string {
  return `${v} = ${v} < ${lo} ? ${lo} : (${v} > ${hi} ? ${hi} : ${v});`;
}

/** The integer function of step i: its sums, and with a chain the codes of the next step. */
export function integerFunctionLines(program: Program, step: IntegerStep, i: number, d: BaseDialect, plan: IntegerPlan): string[] {
  const chain = plan.chains.get(i);
  const codeType = `${inputType(step.integer)}_t`;
  const zero = step.integer.input.kind === 'dynamic' ? `, int32_t zx${i}` : '';
  const signature = `QDISTILL_INTEGER static void qdistill_integer${i}(const ${codeType} *restrict x${zero}, int32_t *restrict sum${chain ? `, ${inputType((program.steps[chain.to] as IntegerStep).integer)}_t *restrict y` : ''})`;
  const body = sumLines(step, i, d, 'x', 'sum');
  if (chain) {
    const outType = `${inputType((program.steps[chain.to] as IntegerStep).integer)}_t`;
    const pixels = step.kind === 'dense' ? 1 : step.outHeight * step.outWidth;
    const rows = step.kind === 'dense' ? step.weights.rows : step.outChannels;
    const at = pixels === 1 ? 'r' : `r * ${pixels} + p`;
    const stageLines: string[] = [];
    chain.stages.forEach((s, k) => {
      const value = k === 0 ? `sum[${at}]` : `(v - ${chain.stages[k - 1].zeroPoint})`;
      stageLines.push(`v = ${stageTerm(s, i, k, 'r', value)};`, clampLine('v', s.lo, s.hi));
    });
    const inner = [`int32_t v;`, ...stageLines, `y[${at}] = (${outType})v;`];
    body.push(
      `for (int r = 0; r < ${rows}; r++) {`,
      ...(pixels === 1 ? inner.map((l) => `  ${l}`) : [`  for (int p = 0; p < ${pixels}; p++) {`, ...inner.map((l) => `    ${l}`), '  }']),
      '}',
    );
  }
  return [
    `/* step ${i + 1}: integer arithmetic only${chain ? `, to step ${chain.to + 1}'s ${outTypeName(program, chain)} codes by fixed-point requantization` : ', int32 sums'} */`,
    `${signature} {`,
    ...body.map((l) => `  ${l}`),
    '}',
    '',
  ];
}

function outTypeName(program: Program, chain: IntegerChain): string {
  return inputType((program.steps[chain.to] as IntegerStep).integer);
}

/** Step i's statements in qdistill_q_values: the input quantization (unless fed), the integer call, the float epilogue (unless chained). */
export function integerStepBody(program: Program, step: IntegerStep, i: number, d: BaseDialect, plan: IntegerPlan, activation: (s: string) => string): string[] {
  const chain = plan.chains.get(i);
  const lines = plan.fed.has(i) ? [] : inputLines(step, i, d);
  const zero = step.integer.input.kind === 'dynamic' ? `, zx${i}` : '';
  lines.push(`qdistill_integer${i}(${d.constant('xq', i)}${zero}, ${d.constant('sum', i)}${chain ? `, ${d.constant('xq', chain.to)}` : ''});`);
  if (!chain) lines.push(...epilogueLines(step, i, d, activation));
  return lines;
}

/** A line per integer step for the header comment: what is integer, what is float. */
export function integerSummary(program: Program, plan: IntegerPlan): string[] {
  const lines: string[] = [];
  program.steps.forEach((step, i) => {
    if (!isIntegerStep(step)) return;
    const input = plan.fed.has(i) ? 'codes from the step before (integer)' : step.integer.input.kind === 'static' ? 'float input quantized to codes (float)' : 'float input quantized per call (float: DynamicQuantizeLinear)';
    const chain = plan.chains.get(i);
    const output = chain ? `fixed-point requantization to step ${chain.to + 1}'s codes (integer)` : 'int32 sums back to float (float)';
    lines.push(`  step ${i + 1}: ${input}; int8 × 8-bit products summed in int32 (integer); ${output}`);
  });
  return lines;
}
