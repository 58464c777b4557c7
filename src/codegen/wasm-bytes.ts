// A WebAssembly binary writer for the handful of instructions the kernels (wasm-kernels.ts) use: LEB128
// numbers, the type/function/memory/export/code sections, structured control flow and the SIMD ops on
// float32 and int16/int32 lanes. Written by hand because there is no assembler here and the generated module
// must stay dependency-free; the instruction set is small enough that a table of opcodes is the whole job.
// Encodings follow the WebAssembly core spec (binary format) and the SIMD proposal's BinarySIMD.md.

/** Unsigned LEB128. */
export function unsignedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`unsigned LEB128 out of range: ${value}`);
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function signedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`signed LEB128 out of range: ${value}`);
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A name: its UTF-8 length, then the bytes. */
function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
}
const vector = (items: number[][]) => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => [id, ...unsignedLeb(content.length), ...content];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof V128;

/** SIMD opcodes (after the 0xfd prefix) of the final SIMD proposal. */
const SIMD = {
  'v128.load': 0x00,
  'v128.load32_splat': 0x09,
  'v128.store': 0x0b,
  'f32x4.splat': 0x13,
  'f32x4.extract_lane': 0x1f,
  'f32x4.ge': 0x46,
  'v128.bitselect': 0x52,
  'f32x4.nearest': 0x6a,
  'i16x8.narrow_i32x4_s': 0x85,
  'i32x4.add': 0xae,
  'i32x4.dot_i16x8_s': 0xba,
  'f32x4.add': 0xe4,
  'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7,
  'f32x4.min': 0xe8,
  'f32x4.max': 0xe9,
  'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'i32x4.trunc_sat_f32x4_s': 0xf8,
  'f32x4.convert_i32x4_s': 0xfa,
} as const;

/** Plain opcodes without immediates. */
const PLAIN = {
  'i32.eqz': 0x45,
  'i32.ne': 0x47,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'f32.eq': 0x5b,
  'f32.nearest': 0x90,
  'f32.sub': 0x93,
  'f32.div': 0x95,
  'f32.min': 0x96,
  'f32.max': 0x97,
  select: 0x1b,
} as const;

/** A function body: locals after the parameters, then instructions appended by the methods below. */
export class FunctionBody {
  private readonly bytes: number[] = [];
  private readonly locals: ValueType[] = [];

  constructor(readonly params: ValueType[]) {}

  /** A new local of `type`; returns its index. */
  local(type: ValueType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(name: keyof typeof PLAIN): this {
    this.bytes.push(PLAIN[name]);
    return this;
  }

  /** A SIMD instruction; loads and stores take a byte offset (alignment hint 16 bytes, 4 for splats). */
  simd(name: Exclude<keyof typeof SIMD, 'f32x4.extract_lane'>, offset?: number): this {
    this.bytes.push(0xfd, ...unsignedLeb(SIMD[name]));
    if (name === 'v128.load' || name === 'v128.store') this.bytes.push(4, ...unsignedLeb(offset ?? 0));
    else if (name === 'v128.load32_splat') this.bytes.push(2, ...unsignedLeb(offset ?? 0));
    return this;
  }

  /** A lane of an f32x4 as f32. */
  lane(index: number): this {
    this.bytes.push(0xfd, ...unsignedLeb(SIMD['f32x4.extract_lane']), index);
    return this;
  }

  /** f32.load / f32.store at a byte offset from the address on the stack. */
  loadF32(offset = 0): this {
    this.bytes.push(0x2a, 2, ...unsignedLeb(offset));
    return this;
  }

  storeF32(offset = 0): this {
    this.bytes.push(0x38, 2, ...unsignedLeb(offset));
    return this;
  }

  /** v128.const with four equal float32 lanes. */
  f32x4Const(value: number): this {
    const lanes = new Uint8Array(16);
    const view = new DataView(lanes.buffer);
    for (let i = 0; i < 4; i++) view.setFloat32(i * 4, value, true);
    this.bytes.push(0xfd, ...unsignedLeb(0x0c), ...lanes);
    return this;
  }

  get(local: number): this {
    this.bytes.push(0x20, ...unsignedLeb(local));
    return this;
  }

  set(local: number): this {
    this.bytes.push(0x21, ...unsignedLeb(local));
    return this;
  }

  i32(value: number): this {
    this.bytes.push(0x41, ...signedLeb(value));
    return this;
  }

  f32(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes.push(0x43, ...b);
    return this;
  }

  /** local += delta (i32). */
  advance(local: number, delta: number): this {
    return this.get(local).i32(delta).op('i32.add').set(local);
  }

  call(functionIndex: number): this {
    this.bytes.push(0x10, ...unsignedLeb(functionIndex));
    return this;
  }

  /** `loop … br_if (condition) end`: the body runs, then `condition` (leaving an i32) decides whether it repeats. */
  doWhile(body: () => void, condition: () => void): this {
    this.bytes.push(0x03, 0x40);
    body();
    condition();
    this.bytes.push(0x0d, 0, 0x0b);
    return this;
  }

  /** `if … end` on the i32 the caller left on the stack. */
  when(body: () => void): this {
    this.bytes.push(0x04, 0x40);
    body();
    this.bytes.push(0x0b);
    return this;
  }

  /** The encoded body: locals grouped one entry per local, the instructions and `end`. */
  encode(): number[] {
    const code = [...vector(this.locals.map((t) => [1, t])), ...this.bytes, 0x0b];
    return [...unsignedLeb(code.length), ...code];
  }
}

export interface WasmFunction {
  body: FunctionBody;
  results: ValueType[];
  /** Exported under this name when set. */
  exportAs?: string;
}

/**
 * A module of `functions` (index = position) and one memory of `pages` 64 KiB pages, exported as "memory",
 * that cannot grow (its maximum is its size), so views on it stay valid.
 */
export function encodeModule(functions: WasmFunction[], pages: number): Uint8Array {
  const signature = (f: WasmFunction) => [0x60, ...vector(f.body.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))];
  const types: number[][] = [];
  const typeIndex = functions.map((f) => {
    const s = signature(f);
    const found = types.findIndex((t) => t.length === s.length && t.every((b, i) => b === s[i]));
    if (found >= 0) return found;
    types.push(s);
    return types.length - 1;
  });
  const exports = [
    [...name('memory'), 0x02, 0],
    ...functions.flatMap((f, i) => (f.exportAs ? [[...name(f.exportAs), 0x00, ...unsignedLeb(i)]] : [])),
  ];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector(typeIndex.map((t) => unsignedLeb(t)))),
    ...section(5, vector([[0x01, ...unsignedLeb(pages), ...unsignedLeb(pages)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(functions.map((f) => f.body.encode()))),
  ]);
}
