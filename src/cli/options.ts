// Flag parsers shared by the commands: each rejects bad values with a message commander prints as one line.
import { InvalidArgumentError } from 'commander';

/** The range each flag parser accepts, in words, for its --help line (see describeRanges). */
const RANGES = new WeakMap<object, string>();

/** A number as --help writes it: 1000000 → 1,000,000; 2³² − 1 as is. */
function show(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : String(n);
}

function withRange<T extends (value: string) => unknown>(parser: T, range: string): T {
  RANGES.set(parser, range);
  return parser;
}

/** An integer in min..max (underscores and exponents allowed: 1_000, 1e6). */
export function integer(min: number, max: number) {
  return withRange((value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!/^-?[\d_.e+]+$/i.test(value) || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer in ${show(min)}..${show(max)}`);
    }
    return n;
  }, `${show(min)}..${show(max)}`);
}

/** A finite number in [min, max]. */
export function number(min = -Infinity, max = Infinity) {
  const range = Number.isFinite(max) ? `${show(min)}..${show(max)}` : `≥ ${show(min)}`;
  return withRange((value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(Number.isFinite(max) ? `expected a number in [${min}, ${max}]` : `expected a number ≥ ${min}`);
    }
    return n;
  }, range);
}

/** "256,256" (or 256x256) → [256, 256]: at most `maxCount` integers, each in 1..max. */
export function integerList(max: number, maxCount: number) {
  return withRange((value: string): number[] => {
    const parts = value.split(/[,x]/).map((p) => (p.trim() === '' ? NaN : Number(p)));
    if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new InvalidArgumentError('expected positive integers separated by commas, e.g. 256,256');
    }
    if (parts.length > maxCount) throw new InvalidArgumentError(`expected at most ${maxCount} sizes, got ${parts.length}`);
    const big = parts.find((n) => n > max);
    if (big !== undefined) throw new InvalidArgumentError(`${show(big)} is larger than ${show(max)}`);
    return parts;
  }, `${maxCount === 1 ? '' : `up to ${maxCount} × `}1..${show(max)}`);
}

/** "64x64,32x32,4" → [[64, 64], [32, 32], [4]]: several students' hidden sizes, each layer in 1..65,536. */
export const sizeList = withRange((value: string): number[][] => {
  const sizes = value.split(',').map((part) => part.split('x').map((p) => (p.trim() === '' ? NaN : Number(p))));
  if (sizes.some((s) => s.some((n) => !Number.isInteger(n) || n <= 0))) throw new InvalidArgumentError('expected sizes like 64x64,32x32,16x16,8x8,4');
  if (sizes.length > 64) throw new InvalidArgumentError(`expected at most 64 sizes, got ${sizes.length}`);
  if (sizes.some((s) => s.length > 16)) throw new InvalidArgumentError('expected at most 16 layers per size');
  const big = sizes.flat().find((n) => n > 65_536);
  if (big !== undefined) throw new InvalidArgumentError(`${show(big)} is larger than 65,536`);
  return sizes;
}, 'up to 64 sizes of up to 16 × 1..65,536');

/** The range a parser made here accepts, e.g. "1..1,000,000" (undefined for other parsers). */
export function rangeOf(parser: unknown): string | undefined {
  return typeof parser === 'function' ? RANGES.get(parser) : undefined;
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!choices.includes(value as T)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}
