// Joining typed arrays end to end.

/** The arrays of `parts` one after another, in a new array made by `make(total length)`. */
export function concatArrays<T extends Float32Array | Uint8Array>(parts: readonly T[], make: (length: number) => T): T {
  const all = make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}
