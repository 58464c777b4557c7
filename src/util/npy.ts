// numpy's own array files, `.npy` (one array) and `.npz` (a zip of .npy members, stored by np.savez or
// deflated by np.savez_compressed), read and written so that states recorded anywhere can be distilled and
// our datasets opened with numpy.load. Written by hand: the npm readers we looked at parse the header with
// regular expressions, read no .npz and write nothing, and every check below would still be ours to add.
// The zip container is read here too (its central directory, the CRC-32 of every member) and only the
// deflate stream is left to fflate, which checks no CRC itself.
//
// Reading is strict. A file is stat'ed and opened without blocking before a byte is read: folders, FIFOs,
// devices and files over the size limit are refused. The header must be the Python dict numpy writes, with
// exactly the keys 'descr', 'fortran_order' and 'shape'; the data must be exactly product(shape) × itemsize
// bytes. Every refusal is a UsageError naming the file and what is wrong.
import { readInputFile } from './input-file.js';
import { inflateSync, zipSync } from 'fflate';
import { writeFileAtomic } from './atomic-write.js';
import { concatArrays } from './concat.js';
import { halfToFloat } from './float16.js';
import { UsageError } from './errors.js';

/** The element types read, by numpy's name. float16 is widened to float32 on reading; 'str' is numpy's fixed-width unicode ('<U…'). */
export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool' | 'str';

/** An array's values, row-major (C order): one typed array per numeric dtype (bool as 0/1 bytes, float16 widened to float32), strings for 'str'. */
export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | string[];

/** One array read from a .npy file or an .npz member. */
export interface NpyArray {
  /** numpy's name of the element type. */
  dtype: NpyDtype;
  /** The array's shape; [] for a 0-d array (one element). */
  shape: number[];
  /** product(shape) values in C order. */
  data: NpyData;
}

/** An array to write: `dtype` follows from the typed array (Uint8Array is uint8 unless dtype says 'bool'; string[] is 'str'). */
export interface NpyInput {
  /** The array's shape; product(shape) must equal data.length. */
  shape: number[];
  /** The values in C order. */
  data: Exclude<NpyData, string[]> | string[];
  /** 'bool' writes a Uint8Array as numpy bool ('|b1'); otherwise leave it out. */
  dtype?: 'bool';
}

/** The numpy descriptors read (byte order '<', '>' or '|'), as `--help` and error messages list them. */
export const NPY_DTYPES = ['f2', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'b1', 'U<n>'] as const;

/** Largest .npy or .npz file read, and largest total of an .npz's members once inflated (1 GiB), unless a caller passes another limit. */
export const MAX_ARRAY_FILE_BYTES = 2 ** 30;

/** Largest header read (numpy's own default max_header_size is 10,000 characters). */
const MAX_HEADER_BYTES = 65_536;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeInfo {
  dtype: NpyDtype;
  itemsize: number;
}

const CODES: Record<string, DtypeInfo> = {
  f2: { dtype: 'float16', itemsize: 2 },
  f4: { dtype: 'float32', itemsize: 4 },
  f8: { dtype: 'float64', itemsize: 8 },
  i1: { dtype: 'int8', itemsize: 1 },
  i2: { dtype: 'int16', itemsize: 2 },
  i4: { dtype: 'int32', itemsize: 4 },
  i8: { dtype: 'int64', itemsize: 8 },
  u1: { dtype: 'uint8', itemsize: 1 },
  u2: { dtype: 'uint16', itemsize: 2 },
  u4: { dtype: 'uint32', itemsize: 4 },
  u8: { dtype: 'uint64', itemsize: 8 },
  b1: { dtype: 'bool', itemsize: 1 },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const ACCEPTED = `accepted: ${NPY_DTYPES.join(', ')}`;

// ---------------------------------------------------------------------------------------------------------
// Files

/** Options of the readers. */
export interface ReadArrayOptions {
  /** Largest file read and, for .npz, largest total of its members once inflated (default MAX_ARRAY_FILE_BYTES). */
  maxBytes?: number;
}

/** The array of a .npy file; anything malformed is a UsageError naming the file. */
export function readNpy(path: string, o: ReadArrayOptions = {}): NpyArray {
  return parseNpy(readInputFile(path, 'array file', { maxBytes: o.maxBytes ?? MAX_ARRAY_FILE_BYTES }), path);
}

/** The arrays of an .npz file by name (the member name less '.npy'), in the zip's order. */
export function readNpz(path: string, o: ReadArrayOptions = {}): Map<string, NpyArray> {
  return parseNpz(readInputFile(path, 'array file', { maxBytes: o.maxBytes ?? MAX_ARRAY_FILE_BYTES }), path, o.maxBytes);
}

/** Whichever of the two a file is, told by its first bytes (not its name): a .npy's one array is named ''. */
export function readArrayFile(path: string, o: ReadArrayOptions = {}): { format: 'npy' | 'npz'; arrays: Map<string, NpyArray> } {
  const bytes = readInputFile(path, 'array file', { maxBytes: o.maxBytes ?? MAX_ARRAY_FILE_BYTES });
  if (startsWith(bytes, MAGIC)) return { format: 'npy', arrays: new Map([['', parseNpy(bytes, path)]]) };
  if (startsWith(bytes, [0x50, 0x4b])) return { format: 'npz', arrays: parseNpz(bytes, path, o.maxBytes) };
  throw new UsageError('neither a .npy file (it does not start with \\x93NUMPY) nor an .npz (it does not start with PK)', path);
}

/** True when the bytes start like a .npy or a zip (an .npz), whatever the file is called. */
export function isNumpyFile(bytes: Uint8Array): boolean {
  return startsWith(bytes, MAGIC) || startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06]);
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

// ---------------------------------------------------------------------------------------------------------
// .npy

/** One .npy file's bytes → its array; `where` names the file (and member) in errors. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const bad = (what: string) => new UsageError(`not a valid .npy array: ${what}`, where);
  if (!startsWith(bytes, MAGIC)) throw bad('it does not start with \\x93NUMPY');
  if (bytes.length < 10) throw bad('the file ends inside its preamble');
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3) throw bad(`format version ${major}.${minor} (read: 1.0, 2.0, 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw bad('the file ends inside its preamble');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > MAX_HEADER_BYTES) throw bad(`a header of ${headerLength} bytes (at most ${MAX_HEADER_BYTES} read)`);
  if (headerStart + headerLength > bytes.length) throw bad(`the header (${headerLength} bytes) runs past the end of the file`);
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  // 1.0 and 2.0 headers are latin1, 3.0 UTF-8; a valid header is ASCII in all three.
  const header = major === 3 ? new TextDecoder('utf-8', { fatal: false }).decode(headerBytes) : Buffer.from(headerBytes).toString('latin1');
  const dict = parseHeaderDict(header, bad);
  const { dtype, itemsize, littleEndian } = parseDescr(dict.descr, bad);
  // Column-major data is refused, except where the order changes nothing (at most one dimension above 1).
  if (dict.fortran_order && dict.shape.filter((n) => n > 1).length > 1) throw bad("fortran_order is True (column-major data); save it with np.save(path, np.ascontiguousarray(a))");
  const count = dict.shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  const expected = count * itemsize;
  if (!Number.isSafeInteger(expected)) throw bad(`shape (${dict.shape.join(', ')}) is too large`);
  const actual = bytes.length - dataStart;
  if (actual < expected) throw bad(`truncated: shape (${dict.shape.join(', ')}) of ${dtype} needs ${expected} bytes of data, the file has ${actual}`);
  if (actual > expected) throw bad(`${actual - expected} bytes after the data that shape (${dict.shape.join(', ')}) of ${dtype} holds`);
  const raw = bytes.subarray(dataStart, dataStart + expected);
  return { dtype, shape: dict.shape, data: decodeData(raw, dtype, itemsize, count, littleEndian, bad) };
}

interface HeaderDict {
  descr: string;
  fortran_order: boolean;
  shape: number[];
}

/**
 * The header's Python dict literal, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", read
 * by a small tokenizer that takes strings, True/False and tuples of non-negative integers and nothing else.
 */
function parseHeaderDict(text: string, bad: (what: string) => UsageError): HeaderDict {
  let at = 0;
  const space = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const expect = (c: string) => {
    space();
    if (text[at] !== c) throw bad(`header: expected '${c}' at character ${at} of ${JSON.stringify(text.trim())}`);
    at++;
  };
  const string = (): string => {
    space();
    const quote = text[at];
    if (quote !== "'" && quote !== '"') throw bad(`header: expected a string at character ${at}`);
    const end = text.indexOf(quote, at + 1);
    if (end < 0) throw bad('header: a string is not closed');
    const s = text.slice(at + 1, end);
    if (s.includes('\\')) throw bad('header: escapes in strings are not read');
    at = end + 1;
    return s;
  };
  const value = (key: string): unknown => {
    space();
    if (text.startsWith('True', at)) return (at += 4), true;
    if (text.startsWith('False', at)) return (at += 5), false;
    if (text[at] === "'" || text[at] === '"') return string();
    if (text[at] === '(') {
      at++;
      const dims: number[] = [];
      let comma = true;
      for (;;) {
        space();
        if (text[at] === ')') break;
        if (!comma) throw bad(`header: expected ',' or ')' in ${key}`);
        const m = /^(\d+)L?/.exec(text.slice(at));
        if (!m) throw bad(`header: '${key}' holds something other than non-negative integers`);
        const n = Number(m[1]);
        if (!Number.isSafeInteger(n)) throw bad(`header: dimension ${m[1]} is too large`);
        dims.push(n);
        at += m[0].length;
        space();
        comma = text[at] === ',';
        if (comma) at++;
      }
      at++;
      // '(3)' is the integer 3 in Python, not a tuple.
      if (dims.length === 1 && !comma) throw bad(`header: '${key}' is (${dims[0]}), an integer, not a tuple`);
      return dims;
    }
    if (text[at] === '[') throw bad(`header: '${key}' is a list (a structured dtype); only plain dtypes are read (${ACCEPTED})`);
    throw bad(`header: cannot read the value of '${key}' at character ${at}`);
  };
  expect('{');
  const dict: Record<string, unknown> = {};
  for (;;) {
    space();
    if (text[at] === '}') break;
    const key = string();
    if (key in dict) throw bad(`header: key '${key}' appears twice`);
    expect(':');
    dict[key] = value(key);
    space();
    if (text[at] === ',') at++;
    else if (text[at] !== '}') throw bad(`header: expected ',' or '}' at character ${at}`);
  }
  at++;
  if (text.slice(at).trim() !== '') throw bad('header: text after the dict');
  const keys = Object.keys(dict).sort();
  if (keys.join() !== 'descr,fortran_order,shape') throw bad(`header: keys ${keys.map((k) => `'${k}'`).join(', ') || '(none)'}; expected exactly 'descr', 'fortran_order' and 'shape'`);
  if (typeof dict.descr !== 'string') throw bad("header: 'descr' is not a string");
  if (typeof dict.fortran_order !== 'boolean') throw bad("header: 'fortran_order' is not True or False");
  if (!Array.isArray(dict.shape)) throw bad("header: 'shape' is not a tuple");
  return dict as unknown as HeaderDict;
}

function parseDescr(descr: string, bad: (what: string) => UsageError): DtypeInfo & { littleEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (m && m[2] === 'O') throw bad(`dtype '${descr}' is object: it holds pickled Python objects, which are never read (${ACCEPTED})`);
  if (m && m[2] === 'U' && /^[1-9]\d*$/.test(m[3]) && m[1] !== '|') {
    return { dtype: 'str', itemsize: 4 * Number(m[3]), littleEndian: m[1] === '>' ? false : m[1] === '<' || HOST_LITTLE_ENDIAN };
  }
  const info = m ? CODES[m[2] + m[3]] : undefined;
  if (!m || !info) throw bad(`dtype '${descr}' is not read (${ACCEPTED})`);
  const order = m[1];
  if (info.itemsize > 1 && (order === '|' || order === '')) throw bad(`dtype '${descr}' has no byte order ('<' little-endian or '>' big-endian)`);
  return { ...info, littleEndian: order === '>' ? false : order === '<' || HOST_LITTLE_ENDIAN };
}

function decodeData(raw: Uint8Array, dtype: NpyDtype, itemsize: number, count: number, littleEndian: boolean, bad: (what: string) => UsageError): NpyData {
  // Copy so that the array is aligned and owns its memory.
  const copy = new Uint8Array(raw);
  const view = new DataView(copy.buffer);
  const native = littleEndian === HOST_LITTLE_ENDIAN;
  switch (dtype) {
    case 'float16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, littleEndian));
      return out;
    }
    case 'bool': {
      for (let i = 0; i < count; i++) if (copy[i] > 1) copy[i] = 1;
      return copy;
    }
    case 'int8':
      return new Int8Array(copy.buffer);
    case 'uint8':
      return copy;
    case 'str': {
      const chars = itemsize / 4;
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const points: number[] = [];
        for (let c = 0; c < chars; c++) points.push(view.getUint32(i * itemsize + 4 * c, littleEndian));
        while (points.length && points[points.length - 1] === 0) points.pop();
        if (points.some((p) => p > 0x10ffff || (p >= 0xd800 && p <= 0xdfff))) throw bad('a string holds an invalid code point');
        out.push(String.fromCodePoint(...points));
      }
      return out;
    }
  }
  const ctor = { float32: Float32Array, float64: Float64Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array }[dtype];
  if (!native) {
    // Big-endian data on a little-endian host (or the reverse): swap each element's bytes in place.
    for (let i = 0; i < count; i++) copy.subarray(i * itemsize, (i + 1) * itemsize).reverse();
  }
  return new ctor(copy.buffer);
}

/**
 * A numeric array's values as float32 (float64 and 64-bit integers rounded to the nearest float32, bool as
 * 0/1); a 'str' array is a UsageError naming `where`.
 */
export function toFloat32(array: NpyArray, where: string): Float32Array {
  if (array.dtype === 'str') throw new UsageError('the array holds strings, not numbers', where);
  const data = array.data as Exclude<NpyData, string[]>;
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data);
}

/** The numpy descriptor ('<f4', '|b1', '<U12', …) that `encodeNpy` writes for an input. */
export function descrOf(array: NpyInput): string {
  const d = array.data;
  if (Array.isArray(d)) return `<U${Math.max(1, ...d.map((s) => [...s].length))}`;
  if (array.dtype === 'bool') {
    if (!(d instanceof Uint8Array)) throw new TypeError("dtype 'bool' takes a Uint8Array of 0/1");
    return '|b1';
  }
  if (d instanceof Float32Array) return '<f4';
  if (d instanceof Float64Array) return '<f8';
  if (d instanceof Int8Array) return '|i1';
  if (d instanceof Int16Array) return '<i2';
  if (d instanceof Int32Array) return '<i4';
  if (d instanceof BigInt64Array) return '<i8';
  if (d instanceof Uint8Array) return '|u1';
  if (d instanceof Uint16Array) return '<u2';
  if (d instanceof Uint32Array) return '<u4';
  if (d instanceof BigUint64Array) return '<u8';
  throw new TypeError('unsupported array type');
}

/**
 * A .npy file's bytes as numpy writes them: format 1.0 (2.0 for a header over 65,535 bytes), the header dict
 * with its keys in numpy's order, padded with spaces and a newline so that the data starts on a 64-byte
 * boundary, then the little-endian data.
 */
export function encodeNpy(array: NpyInput): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.shape.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new TypeError(`bad shape [${array.shape}]`);
  if (count !== array.data.length) throw new TypeError(`shape [${array.shape}] holds ${count} values, the data ${array.data.length}`);
  const descr = descrOf(array);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  let major = 1;
  let preamble = 10;
  let padded = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  if (padded > 65535) {
    major = 2;
    preamble = 12;
    padded = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  }
  const head = new Uint8Array(preamble + padded);
  head.set(MAGIC);
  head[6] = major;
  head[7] = 0;
  const view = new DataView(head.buffer);
  if (major === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  const text = dict + ' '.repeat(padded - dict.length - 1) + '\n';
  for (let i = 0; i < text.length; i++) head[preamble + i] = text.charCodeAt(i);
  return concatBytes([head, dataBytes(array, descr)]);
}

function dataBytes(array: NpyInput, descr: string): Uint8Array {
  const d = array.data;
  if (Array.isArray(d)) {
    const chars = Number(descr.slice(2));
    const out = new DataView(new ArrayBuffer(d.length * chars * 4));
    d.forEach((s, i) => [...s].forEach((c, k) => out.setUint32((i * chars + k) * 4, c.codePointAt(0)!, true)));
    return new Uint8Array(out.buffer);
  }
  if (array.dtype === 'bool') return Uint8Array.from(d as Uint8Array, (v) => (v ? 1 : 0));
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const copy = new Uint8Array(bytes);
  for (let i = 0; i < d.length; i++) copy.subarray(i * d.BYTES_PER_ELEMENT, (i + 1) * d.BYTES_PER_ELEMENT).reverse();
  return copy;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  return concatArrays(parts, (n) => new Uint8Array(n));
}

/** Writes one array as a .npy file (atomically). */
export function writeNpy(path: string, array: NpyInput): void {
  writeFileAtomic(path, encodeNpy(array));
}

// ---------------------------------------------------------------------------------------------------------
// .npz

/** An .npz's bytes: a stored zip (as np.savez writes) with one `<name>.npy` member per array, in the order given. */
export function encodeNpz(arrays: Record<string, NpyInput>): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const [name, array] of Object.entries(arrays)) files[`${name}.npy`] = [encodeNpy(array), { level: 0 }];
  // A fixed time stamp: the same arrays give the same bytes.
  return zipSync(files, { level: 0, mtime: new Date(1980, 0, 1) });
}

/** Writes arrays as an .npz file (a stored zip, atomically), readable with numpy.load. */
export function writeNpz(path: string, arrays: Record<string, NpyInput>): void {
  writeFileAtomic(path, encodeNpz(arrays));
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** An .npz's bytes → its arrays by name; a zip that is malformed, encrypted, compressed other than by deflate, or fails its CRC is a UsageError. */
export function parseNpz(bytes: Uint8Array, where: string, maxBytes: number = MAX_ARRAY_FILE_BYTES): Map<string, NpyArray> {
  const bad = (what: string) => new UsageError(`not a valid .npz: ${what}`, where);
  const entries = zipEntries(bytes, bad);
  if (entries.length === 0) throw bad('the zip holds no arrays');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  const arrays = new Map<string, NpyArray>();
  for (const e of entries) {
    const member = `${where}: ${e.name}`;
    if (!e.name.endsWith('.npy') || e.name.endsWith('/')) throw bad(`member '${e.name}' is not a .npy array`);
    const name = e.name.slice(0, -4);
    if (arrays.has(name)) throw bad(`member '${e.name}' appears twice`);
    if (e.flags & 1) throw bad(`member '${e.name}' is encrypted`);
    if (e.method !== 0 && e.method !== 8) throw bad(`member '${e.name}' uses compression method ${e.method}; read: stored (np.savez) and deflate (np.savez_compressed)`);
    total += e.size;
    if (total > maxBytes) throw bad(`its members inflate to more than the limit of ${maxBytes} bytes`);
    if (e.localOffset + 30 > bytes.length || view.getUint32(e.localOffset, true) !== 0x04034b50) throw bad(`member '${e.name}': no local header at offset ${e.localOffset}`);
    const start = e.localOffset + 30 + view.getUint16(e.localOffset + 26, true) + view.getUint16(e.localOffset + 28, true);
    if (start + e.compressedSize > bytes.length) throw bad(`member '${e.name}' runs past the end of the file (truncated?)`);
    const stored = bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw bad(`stored member '${e.name}' has compressed size ${e.compressedSize} ≠ size ${e.size}`);
      data = stored;
    } else {
      // The output buffer is the declared size: fflate does not grow a buffer it is given, so a member cannot
      // inflate past what the directory says; a short or corrupt stream fails the length or CRC check below.
      const out = new Uint8Array(e.size);
      try {
        data = inflateSync(stored, { out });
      } catch (error) {
        throw bad(`member '${e.name}' does not inflate: ${String((error as Error).message ?? error)}`);
      }
      if (data.length !== e.size) throw bad(`member '${e.name}' inflates to ${data.length} bytes, the directory says ${e.size}`);
    }
    if (crc32(data) !== e.crc) throw bad(`member '${e.name}' fails its CRC-32 check (corrupt)`);
    arrays.set(name, parseNpy(data, member));
  }
  return arrays;
}

/** The zip's central directory (zip64 included, as np.savez writes its members with force_zip64). */
function zipEntries(bytes: Uint8Array, bad: (what: string) => UsageError): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65535); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw bad('no end of central directory record (not a zip, or truncated)');
  let count = view.getUint16(eocd + 10, true);
  let directorySize = view.getUint32(eocd + 12, true);
  let directoryOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) throw bad('a zip split over several disks');
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const at = Number(view.getBigUint64(eocd - 12, true));
    if (at + 56 > bytes.length || view.getUint32(at, true) !== 0x06064b50) throw bad('a zip64 locator that points at no zip64 record');
    count = Number(view.getBigUint64(at + 32, true));
    directorySize = Number(view.getBigUint64(at + 40, true));
    directoryOffset = Number(view.getBigUint64(at + 48, true));
  }
  if (directoryOffset + directorySize > bytes.length) throw bad('the central directory runs past the end of the file (truncated?)');
  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw bad(`central directory entry ${i} is damaged`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength + extraLength + commentLength > bytes.length) throw bad(`central directory entry ${i} runs past the end`);
    const entry: ZipEntry = {
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localOffset: view.getUint32(at + 42, true),
    };
    // The zip64 extra field holds, in this order, each of size, compressed size and offset that is 0xFFFFFFFF above.
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = view.getUint16(x, true);
      const length = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let y = x + 4;
        const next = () => {
          if (y + 8 > x + 4 + length) throw bad(`the zip64 field of '${entry.name}' is short`);
          const v = Number(view.getBigUint64(y, true));
          y += 8;
          return v;
        };
        if (entry.size === 0xffffffff) entry.size = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localOffset === 0xffffffff) entry.localOffset = next();
      }
      x += 4 + length;
    }
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

let crcTable: Int32Array | null = null;

/** CRC-32 (IEEE, as zip uses). */
function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
