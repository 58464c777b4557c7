// The int8 kernels of the WebAssembly module (wasm-bytes.ts): the integer dense step of an int8 graph
// (DenseStep.integer in program-types.ts), with program-types.ts's arithmetic: the input quantized to 8-bit
// codes (a static scale and zero point, or DynamicQuantizeLinear's, computed per call), the products summed
// exactly in int32, then rescaled or requantized to float, the float bias and the activation.
//
// The codes are stored less their zero point as int16 (x_q − x_zp fits in [−255, 255]), and the weights less
// theirs (w_q − w_zp), packed like the float weights (wasm-kernels.ts) but two columns at a time: one v128 is
// 4 rows × 2 columns of int16, and i32x4.dot_i16x8_s with the input pair splatted gives the 4 rows' partial sums.
import { F32, FunctionBody, I32, V128, type ValueType } from './wasm-bytes.js';
import { activate } from './wasm-kernels.js';

/** quantize(x, blocks, out, scale, lo, hi): 8·blocks int16 codes less zero point, clamp(nearest(x / scale), lo, hi). */
export const QUANTIZE_PARAMS: ValueType[] = [I32, I32, I32, F32, F32, F32];

/**
 * Static quantization of 8·blocks float32 values at x (reading past the step's input is harmless: those codes
 * meet zero weights). lo and hi are the type's range less the zero point, so clamping after rounding is the
 * ONNX saturation, and subtracting the zero point is already done.
 */
export function quantizeKernel(): FunctionBody {
  const f = new FunctionBody(QUANTIZE_PARAMS);
  const [x, blocks, out, scale, lo, hi] = [0, 1, 2, 3, 4, 5];
  const codes = (offset: number) => {
    f.get(x).simd('v128.load', offset).get(scale).simd('f32x4.splat').simd('f32x4.div').simd('f32x4.nearest');
    f.get(lo).simd('f32x4.splat').simd('f32x4.pmax').get(hi).simd('f32x4.splat').simd('f32x4.pmin').simd('i32x4.trunc_sat_f32x4_s');
  };
  f.doWhile(
    () => {
      f.get(out);
      codes(0);
      codes(16);
      f.simd('i16x8.narrow_i32x4_s').simd('v128.store');
      f.advance(x, 32).advance(out, 16);
      f.get(blocks).i32(1).op('i32.sub').set(blocks);
    },
    () => f.get(blocks),
  );
  return f;
}

/** dynamicQuantize(x, end4, end, blocks, out, slot): byte addresses; end4 = x + 16·⌊n/4⌋, end = x + 4n. */
export const DYNAMIC_QUANTIZE_PARAMS: ValueType[] = [I32, I32, I32, I32, I32, I32];

/**
 * DynamicQuantizeLinear of the n values at x as onnxruntime computes it in float32: lo = min(0, min x),
 * hi = max(0, max x), scale = (hi − lo) / 255 (1 when hi = lo), zero point = roundHalfEven(clamp(0 − lo / scale,
 * 0, 255)); the codes through quantize (function index `quantize`), the scale stored at `slot`.
 */
export function dynamicQuantizeKernel(quantize: number): FunctionBody {
  const f = new FunctionBody(DYNAMIC_QUANTIZE_PARAMS);
  const [x, end4, end, blocks, out, slot] = [0, 1, 2, 3, 4, 5];
  const p = f.local(I32);
  const [vlo, vhi] = [f.local(V128), f.local(V128)];
  const [lo, hi, scale, zero] = [f.local(F32), f.local(F32), f.local(F32), f.local(F32)];
  f.f32x4Const(0).set(vlo).f32x4Const(0).set(vhi).get(x).set(p);
  f.get(p).get(end4).op('i32.ne').when(() =>
    f.doWhile(
      () => {
        f.get(vlo).get(p).simd('v128.load').simd('f32x4.min').set(vlo);
        f.get(vhi).get(p).simd('v128.load').simd('f32x4.max').set(vhi);
        f.advance(p, 16);
      },
      () => f.get(p).get(end4).op('i32.ne'),
    ),
  );
  const reduce = (v: number, op: 'f32.min' | 'f32.max', into: number) => f.get(v).lane(0).get(v).lane(1).op(op).get(v).lane(2).get(v).lane(3).op(op).op(op).set(into);
  reduce(vlo, 'f32.min', lo);
  reduce(vhi, 'f32.max', hi);
  f.get(p).get(end).op('i32.ne').when(() =>
    f.doWhile(
      () => {
        f.get(lo).get(p).loadF32().op('f32.min').set(lo);
        f.get(hi).get(p).loadF32().op('f32.max').set(hi);
        f.advance(p, 4);
      },
      () => f.get(p).get(end).op('i32.ne'),
    ),
  );
  // scale = hi == lo ? 1 : (hi − lo) / 255
  f.f32(1).get(hi).get(lo).op('f32.sub').f32(255).op('f32.div').get(hi).get(lo).op('f32.eq').op('select').set(scale);
  f.f32(0).get(lo).get(scale).op('f32.div').op('f32.sub').f32(255).op('f32.min').f32(0).op('f32.max').op('f32.nearest').set(zero);
  f.get(slot).get(scale).storeF32();
  f.get(x).get(blocks).get(out).get(scale).f32(0).get(zero).op('f32.sub').f32(255).get(zero).op('f32.sub').call(quantize);
  return f;
}

/** Parameters of every int8 dense kernel, in order (see denseInt8Kernel). */
export const DENSE_INT8_PARAMS: ValueType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, I32, I32, F32, F32];

/**
 * denseInt8_k(w, codes, y, pairs, groups, intBias, factors, scaleSlot, requantize, lo, hi, outScale, bias,
 * activation, p0, p1), for each of `groups` groups of 4k rows: sum = Σ (x_q − x_zp)(w_q − w_zp) + intBias
 * (int32), v = float32(sum) × (slot's scale × factors); with `requantize` v = clamp(nearest(v), lo, hi) ×
 * outScale (lo, hi: the output type's range less its zero point); then + bias and the activation (as the
 * float kernel). A static input's slot holds 1; factors are its rescale factors or requantize multipliers.
 */
export function denseInt8Kernel(k: number): FunctionBody {
  if (!Number.isInteger(k) || k < 1 || k > 4) throw new RangeError(`int8 dense kernel with ${k} accumulators`);
  const f = new FunctionBody(DENSE_INT8_PARAMS);
  const [w, codes, y, pairs, groups, intBias, factors, slot, requantize, lo, hi, outScale, bias, activation, p0, p1] = Array.from({ length: 16 }, (_, i) => i);
  const [xp, xEnd] = [f.local(I32), f.local(I32)];
  const xs = f.local(V128);
  const acc = Array.from({ length: k }, () => f.local(V128));
  const stride = 16 * k;
  f.get(codes).get(pairs).i32(4).op('i32.mul').op('i32.add').set(xEnd);
  f.doWhile(
    () => {
      for (const a of acc) f.f32x4Const(0).set(a);
      f.get(codes).set(xp);
      f.doWhile(
        () => {
          f.get(xp).simd('v128.load32_splat').set(xs);
          for (let j = 0; j < k; j++) f.get(acc[j]).get(w).simd('v128.load', 16 * j).get(xs).simd('i32x4.dot_i16x8_s').simd('i32x4.add').set(acc[j]);
          f.advance(w, stride).advance(xp, 4);
        },
        () => f.get(xp).get(xEnd).op('i32.ne'),
      );
      for (let j = 0; j < k; j++) {
        f.get(acc[j]).get(intBias).simd('v128.load', 16 * j).simd('i32x4.add').simd('f32x4.convert_i32x4_s');
        f.get(slot).simd('v128.load32_splat').get(factors).simd('v128.load', 16 * j).simd('f32x4.mul').simd('f32x4.mul').set(acc[j]);
      }
      f.get(requantize).when(() => {
        for (const a of acc) {
          f.get(a).simd('f32x4.nearest').get(lo).simd('f32x4.splat').simd('f32x4.pmax').get(hi).simd('f32x4.splat').simd('f32x4.pmin');
          f.get(outScale).simd('f32x4.splat').simd('f32x4.mul').set(a);
        }
      });
      for (let j = 0; j < k; j++) f.get(acc[j]).get(bias).simd('v128.load', 16 * j).simd('f32x4.add').set(acc[j]);
      activate(f, acc, activation, p0, p1);
      for (let j = 0; j < k; j++) f.get(y).get(acc[j]).simd('v128.store', 16 * j);
      f.advance(intBias, stride).advance(factors, stride).advance(bias, stride).advance(y, stride);
      f.get(groups).i32(1).op('i32.sub').set(groups);
    },
    () => f.get(groups),
  );
  return f;
}
