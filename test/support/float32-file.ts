import { readFileSync } from 'node:fs';

/** A file of little-endian float32 values (as numpy's tofile writes them) as a Float32Array. */
export function readFloat32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
