// The WebAssembly SIMD kernels of the compiled JS policy, as function bodies (wasm-bytes.ts): a dense layer
// in float32 with its bias, optional per-row scale and activation fused, generic over rows and columns.
//
// Weights are packed (wasm-layout.ts) in groups of up to 16 output rows; inside a group, column by column,
// the group's rows side by side. One step of the inner loop then loads the input value once (a splat) and
// multiplies it into 4 accumulators of 4 rows each, so no horizontal sums are needed and each row is still
// summed in column order, as in the plain JS loops. The last group of a layer has 4, 8 or 12 rows (k = 1..3
// accumulators), its rows beyond the layer's padded with zero weights; buffers are padded to 4 values.
import { F32, FunctionBody, I32, V128, type ValueType } from './wasm-bytes.js';

/** Activation codes the kernel applies in its lanes; others are applied afterwards in JS. */
export const KERNEL_ACTIVATION = { none: 0, relu: 1, 'leaky-relu': 2, clip: 3 } as const;

/** Parameters of every dense kernel, in order. */
export const DENSE_PARAMS: ValueType[] = [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32];

/**
 * dense_k(w, x, y, columns, groups, bias, scale, activation, p0, p1): for each of `groups` groups of 4k rows,
 * y[rows] = activation(Σ_c w[c][rows] · x[c] (× scale[rows] when scale ≠ 0) + bias[rows]); w, x, y, bias and
 * scale are byte addresses and advance group by group. p0 is leaky-relu's alpha or clip's minimum, p1 clip's
 * maximum.
 */
export function denseKernel(k: number): FunctionBody {
  if (!Number.isInteger(k) || k < 1 || k > 4) throw new RangeError(`dense kernel with ${k} accumulators`);
  const f = new FunctionBody(DENSE_PARAMS);
  const [w, x, y, columns, groups, bias, scale, activation, p0, p1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const xp = f.local(I32);
  const xEnd = f.local(I32);
  const xs = f.local(V128);
  const acc = Array.from({ length: k }, () => f.local(V128));
  const stride = 16 * k;
  // xEnd = x + 4 · columns
  f.get(x).get(columns).i32(4).op('i32.mul').op('i32.add').set(xEnd);
  f.doWhile(
    () => {
      for (const a of acc) f.f32x4Const(0).set(a);
      f.get(x).set(xp);
      f.doWhile(
        () => {
          // acc_j += w[c][4j .. 4j+3] · splat(x[c])
          f.get(xp).simd('v128.load32_splat').set(xs);
          for (let j = 0; j < k; j++) f.get(acc[j]).get(w).simd('v128.load', 16 * j).get(xs).simd('f32x4.mul').simd('f32x4.add').set(acc[j]);
          f.advance(w, stride).advance(xp, 4);
        },
        () => f.get(xp).get(xEnd).op('i32.ne'),
      );
      f.get(scale).when(() => {
        for (let j = 0; j < k; j++) f.get(acc[j]).get(scale).simd('v128.load', 16 * j).simd('f32x4.mul').set(acc[j]);
        f.advance(scale, stride);
      });
      for (let j = 0; j < k; j++) f.get(acc[j]).get(bias).simd('v128.load', 16 * j).simd('f32x4.add').set(acc[j]);
      f.advance(bias, stride);
      activate(f, acc, activation, p0, p1);
      for (let j = 0; j < k; j++) f.get(y).get(acc[j]).simd('v128.store', 16 * j);
      f.advance(y, stride);
      f.get(groups).i32(1).op('i32.sub').set(groups);
    },
    () => f.get(groups),
  );
  return f;
}

/** The activation on every accumulator, with the plain JS loops' comparisons (NaN goes where JS sends it). */
export function activate(f: FunctionBody, acc: number[], activation: number, p0: number, p1: number): void {
  const is = (code: number) => f.get(activation).i32(code).op('i32.sub').op('i32.eqz');
  // relu: s > 0 ? s : 0 is pmax(0, s) = (0 < s ? s : 0).
  is(KERNEL_ACTIVATION.relu).when(() => {
    for (const a of acc) f.f32x4Const(0).get(a).simd('f32x4.pmax').set(a);
  });
  // leaky-relu: s >= 0 ? s : alpha · s.
  is(KERNEL_ACTIVATION['leaky-relu']).when(() => {
    for (const a of acc) {
      f.get(a).get(a).get(p0).simd('f32x4.splat').simd('f32x4.mul').get(a).f32x4Const(0).simd('f32x4.ge').simd('v128.bitselect').set(a);
    }
  });
  // clip: s < min ? min : (s > max ? max : s) is pmax(pmin(s, max), min), pmin(a, b) = b < a ? b : a.
  is(KERNEL_ACTIVATION.clip).when(() => {
    for (const a of acc) f.get(a).get(p1).simd('f32x4.splat').simd('f32x4.pmin').get(p0).simd('f32x4.splat').simd('f32x4.pmax').set(a);
  });
}

/** One kernel call with literal arguments: the function index, its parameter types and the values. */
export interface KernelCall {
  kernel: number;
  params: ValueType[];
  args: number[];
}

/** A function of no arguments that makes the calls in order: one wasm call from JS runs a run of layers. */
export function segmentFunction(calls: KernelCall[]): FunctionBody {
  const f = new FunctionBody([]);
  for (const call of calls) {
    if (call.args.length !== call.params.length) throw new RangeError(`${call.args.length} arguments for ${call.params.length} parameters`);
    call.args.forEach((v, i) => (call.params[i] === F32 ? f.f32(v) : f.i32(v)));
    f.call(call.kernel);
  }
  return f;
}
