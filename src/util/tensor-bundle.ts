// One binary file holding named typed arrays and a JSON header: used for training checkpoints and
// (later) distillation datasets. Layout: 8-byte magic, u32 header length, JSON header, then each array
// 8-byte aligned. The header records every array's dtype, shape and byte range, so a reader can check
// the file before trusting it. Hand-written because the formats on npm (npy, safetensors) each cover
// only part of this and would still need the metadata wrapper.
import { readInputFile } from './input-file.js';
import { writeFileAtomic } from './atomic-write.js';
import { UsageError } from './errors.js';

const MAGIC = 'QDBUNDL1';

export type BundleArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const dtypes = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  uint8: Uint8Array,
} as const;
type Dtype = keyof typeof dtypes;

interface ArrayEntry {
  name: string;
  dtype: Dtype;
  length: number;
  offset: number;
}

export interface Bundle<Meta> {
  meta: Meta;
  arrays: Record<string, BundleArray>;
}

function dtypeOf(array: BundleArray): Dtype {
  for (const [name, ctor] of Object.entries(dtypes)) if (array instanceof ctor) return name as Dtype;
  throw new TypeError('unsupported array type');
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function writeBundle<Meta>(path: string, bundle: Bundle<Meta>): void {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(bundle.arrays)) {
    entries.push({ name, dtype: dtypeOf(array), length: array.length, offset });
    offset = align8(offset + array.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta: bundle.meta, arrays: entries }));
  const prefix = Buffer.alloc(align8(12 + header.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  header.copy(prefix, 12);
  const chunks: Uint8Array[] = [prefix];
  for (const array of Object.values(bundle.arrays)) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    chunks.push(bytes, new Uint8Array(align8(bytes.length) - bytes.length));
  }
  writeFileAtomic(path, chunks);
}

/** Reads a bundle; a file that is missing, unreadable or not a bundle is a one-line UsageError naming it. */
export function readBundle<Meta>(path: string): Bundle<Meta> {
  const file = readInputFile(path, 'qdistill file');
  const bad = (what: string) => new UsageError(`not a valid qdistill bundle: ${what}`, path);
  if (file.length < 12 || file.toString('latin1', 0, 8) !== MAGIC) throw bad('wrong magic');
  const headerLength = file.readUInt32LE(8);
  if (12 + headerLength > file.length) throw bad('header runs past the end');
  let header: { meta: Meta; arrays: ArrayEntry[] };
  try {
    header = JSON.parse(file.toString('utf8', 12, 12 + headerLength));
  } catch {
    throw bad('header is not JSON');
  }
  const dataStart = align8(12 + headerLength);
  const arrays: Record<string, BundleArray> = {};
  for (const entry of header.arrays ?? []) {
    const ctor = dtypes[entry.dtype];
    if (!ctor || !Number.isInteger(entry.length) || entry.length < 0) throw bad(`bad entry '${entry.name}'`);
    const start = dataStart + entry.offset;
    const byteLength = entry.length * ctor.BYTES_PER_ELEMENT;
    if (start + byteLength > file.length) throw bad(`array '${entry.name}' runs past the end`);
    // Copy so the array is aligned and owns its memory.
    const copy = new Uint8Array(byteLength);
    copy.set(file.subarray(start, start + byteLength));
    arrays[entry.name] = new ctor(copy.buffer);
  }
  return { meta: header.meta, arrays };
}
