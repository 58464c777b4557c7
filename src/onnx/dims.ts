// Tensor dimensions as static shape inference (shapes.ts) sees them: a fixed number, a symbolic product
// c·s₁·s₂… of dim_params (a dynamic batch, `batch_size` from torch's dynamic_axes, `unk__6` from tf2onnx), or
// unknown. Products stay exact (a Flatten of [batch, 4, 7, 7] is [batch, 196], and the Reshape(-1) of
// torch's flatten divides batch·196 by batch), so that a node which would tie the batch to a fixed size
// (Gemm transA, a bias of 16×1, Reshape(7, -1)) is seen before a runtime meets it. Pure TypeScript, no Node
// imports.

/** A symbolic dimension: coef · Π syms (syms sorted, at least one). */
export interface SymbolicDim {
  readonly coef: number;
  readonly syms: readonly string[];
}

/** A dimension: a number, a symbolic product, or null when unknown. */
export type Dim = number | SymbolicDim | null;

/** Unknown dims of graph inputs get a symbol of their own, shown as '?'. */
const FRESH_PREFIX = '\u0000?';

export function symbol(name: string): SymbolicDim {
  return { coef: 1, syms: [name] };
}

export function freshSymbol(id: string): SymbolicDim {
  return symbol(`${FRESH_PREFIX}${id}`);
}

export function isSymbolic(d: Dim): d is SymbolicDim {
  return d !== null && typeof d === 'object';
}

function make(coef: number, syms: string[]): Dim {
  if (!Number.isSafeInteger(coef) || coef < 0) return null;
  if (syms.length === 0) return coef;
  if (coef === 0) return 0;
  return { coef, syms: syms.sort() };
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') {
    const p = a * b;
    return Number.isSafeInteger(p) ? p : null;
  }
  const [ca, sa] = typeof a === 'number' ? [a, []] : [a.coef, [...a.syms]];
  const [cb, sb] = typeof b === 'number' ? [b, []] : [b.coef, [...b.syms]];
  return make(ca * cb, [...sa, ...sb]);
}

export function dimProduct(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) p = dimMul(p, d);
  return p;
}

/**
 * a / b when it is exact: a number, a symbolic product, or 'inexact' when a and b are numbers (or share their
 * symbols) and b does not divide a; null when it cannot be told.
 */
export function dimDiv(a: Dim, b: Dim): Dim | 'inexact' {
  if (a === null || b === null) return null;
  if (b === 0) return null;
  const [ca, sa] = typeof a === 'number' ? [a, [] as string[]] : [a.coef, [...a.syms]];
  const [cb, sb] = typeof b === 'number' ? [b, [] as string[]] : [b.coef, [...b.syms]];
  const rest = [...sa];
  for (const s of sb) {
    const at = rest.indexOf(s);
    if (at < 0) return null;
    rest.splice(at, 1);
  }
  if (ca % cb !== 0) return rest.length === 0 ? 'inexact' : null;
  return make(ca / cb, rest);
}

/** Whether two dims are the same: true, false, or null when it cannot be told. */
export function dimEquals(a: Dim, b: Dim): boolean | null {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (isSymbolic(a) && isSymbolic(b) && sameSymbols(a, b)) return a.coef === b.coef;
  return null;
}

function sameSymbols(a: SymbolicDim, b: SymbolicDim): boolean {
  return a.syms.length === b.syms.length && a.syms.every((s, i) => s === b.syms[i]);
}

/** The dims the same (numbers equal, or the same symbolic product). */
export function sameDim(a: Dim, b: Dim): boolean {
  return dimEquals(a, b) === true;
}

function symbolName(s: string): string {
  return s.startsWith(FRESH_PREFIX) ? '?' : s;
}

export function formatDim(d: Dim): string {
  if (d === null) return '?';
  if (typeof d === 'number') return String(d);
  const names = d.syms.map(symbolName).join('*');
  return d.coef === 1 ? names : `${d.coef}*${names}`;
}

/** "[batch, 4]", or "(unknown rank)". At most 8 dims are shown. */
export function formatShape(dims: readonly Dim[] | null): string {
  if (!dims) return '(unknown rank)';
  const shown = dims.slice(0, 8).map(formatDim).join(', ');
  return `[${shown}${dims.length > 8 ? `, … (${dims.length} dims)` : ''}]`;
}

/** The symbols in a dim. */
export function symbolsOf(d: Dim): readonly string[] {
  return isSymbolic(d) ? d.syms : [];
}

/**
 * What tying `d` to the number `n` means: 'ok' (it can be n: no batch symbol in it), 'impossible' (numbers
 * that differ, or a product whose factor does not divide n), or 'fixes-batch' (only if a batch symbol took
 * one value — even 1: a graph with a symbolic batch that runs only at batch 1 fails on batched calls).
 */
export function bindToNumber(d: Dim, n: number, batch: ReadonlySet<string>): 'ok' | 'impossible' | 'fixes-batch' {
  if (d === null) return 'ok';
  if (typeof d === 'number') return d === n ? 'ok' : 'impossible';
  if (n === 0 || n % d.coef !== 0) return 'impossible';
  return d.syms.some((s) => batch.has(s)) ? 'fixes-batch' : 'ok';
}
