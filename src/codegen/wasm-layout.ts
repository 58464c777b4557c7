// Which steps of a program run in the WebAssembly SIMD kernels, where everything lives in the kernel's
// memory, and the module's bytes.
//
// Design: a small hand-written kernel (wasm-kernels.ts: dense float32 with fused scale, bias and activation,
// generic over rows and columns; wasm-int8-kernels.ts: the integer dense step) plus, per model, one tiny
// function per run of consecutive dense layers that calls it with literal addresses. Not a kernel unrolled per
// model: the generic loop is as fast at these sizes, the bytes stay small whatever the model (Chromium
// refuses to compile a module over 4 KiB synchronously on a page's main thread, and the module must be ready
// at import), and the kernel is written and checked once. The weights are not in the module's bytes either:
// the JS module holds them (its plain loops are the fallback) and copies them into the kernel's memory at import.
import { UsageError } from '../util/errors.js';
import { typeRange } from './int8-lower.js';
import type { Activation, DenseStep, IntegerProduct, Program } from './program-types.js';
import { encodeModule, type WasmFunction } from './wasm-bytes.js';
import { DENSE_INT8_PARAMS, denseInt8Kernel, DYNAMIC_QUANTIZE_PARAMS, dynamicQuantizeKernel, QUANTIZE_PARAMS, quantizeKernel } from './wasm-int8-kernels.js';
import { DENSE_PARAMS, denseKernel, KERNEL_ACTIVATION, segmentFunction, type KernelCall } from './wasm-kernels.js';

/** How generateJs computes the layers: `auto` (default) picks per run of layers, `js` never uses WebAssembly, `wasm-simd` puts every dense layer in it. */
export type KernelChoice = 'auto' | 'js' | 'wasm-simd';

export const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'js', 'wasm-simd'];

/**
 * `auto` sends a run of consecutive dense layers to WebAssembly when it has at least this many multiply-adds
 * (rows × columns summed over the run). Measured with bench/compiled-latency.ts (its `threshold` section,
 * one dense layer + ReLU, Node 20 on a shared 2-core machine): plain JS / wasm per call was 0.86 at 1
 * multiply-add, 0.97 at 2, 1.24 at 4, 1.51 at 8 and 7.4 at 256 (the 16-16 student's size); below 8 the two
 * are within the noise, so every real policy layer is in the kernel.
 */
export const AUTO_MIN_MULTIPLY_ADDS = 8;

/** Rows per full group of the packed weights (4 accumulators of 4 lanes). */
const GROUP_ROWS = 16;

/** One dense step in the kernel; positions are float32 (4-byte) indices into the kernel's memory. */
export interface WasmLayer {
  /** Index of the step in program.steps. */
  step: number;
  rows: number;
  columns: number;
  weights: number;
  /** The float bias (zeros when the step has none). */
  bias: number;
  /** Float steps: per-row scales (int8 weights kept as their integer values), or null. */
  scales: number | null;
  /** Integer steps: where the codes, the int32 bias, the factors and the input scale are. */
  integer: { codes: number; intBias: number; factors: number; scaleSlot: number } | null;
  /** The activation is not one the kernel has: JS applies it to the output afterwards. */
  activationInJs: boolean;
}

/** A run of consecutive dense steps that one exported function computes. */
export interface WasmSegment {
  exportName: string;
  layers: WasmLayer[];
}

export interface WasmPlan {
  bytes: Uint8Array;
  /** Float32 index of each program buffer in memory (each padded to a multiple of 4 values). */
  buffers: number[];
  /** Total float32 values of memory in use. */
  floats: number;
  segments: WasmSegment[];
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Rows the packed weights, biases and factors have: the layer's, rounded up to whole groups of 4. */
export const paddedRows = (rows: number) => roundUp(rows, 4);

function kernelActivation(a: Activation | null): number | null {
  if (!a) return KERNEL_ACTIVATION.none;
  if (a.kind === 'relu' || a.kind === 'leaky-relu' || a.kind === 'clip') return KERNEL_ACTIVATION[a.kind];
  return null;
}

/** Runs of consecutive dense steps (step indices); a step whose activation JS applies ends its run. */
function runsOfDenseSteps(program: Program): number[][] {
  const runs: number[][] = [];
  let open: number[] | null = null;
  program.steps.forEach((step, i) => {
    if (step.kind !== 'dense') {
      open = null;
      return;
    }
    if (!open) runs.push((open = []));
    open.push(i);
    if (kernelActivation(step.activation) === null) open = null;
  });
  return runs;
}

const multiplyAdds = (program: Program, run: number[]) => run.reduce((sum, i) => sum + (program.steps[i] as DenseStep).weights.rows * (program.steps[i] as DenseStep).weights.columns, 0);

/** The plan for `program` under `choice`, or null when no step runs in WebAssembly. */
export function planWasm(program: Program, choice: KernelChoice): WasmPlan | null {
  if (!KERNEL_CHOICES.includes(choice)) throw new UsageError(`kernels must be one of ${KERNEL_CHOICES.join(', ')}, got '${String(choice)}'`, 'generateJs');
  if (choice === 'js') return null;
  const runs = runsOfDenseSteps(program).filter((run) => choice === 'wasm-simd' || multiplyAdds(program, run) >= AUTO_MIN_MULTIPLY_ADDS);
  if (runs.length === 0) return null;
  let next = 0;
  const take = (floats: number) => {
    const at = next;
    next += roundUp(floats, 4);
    return at;
  };
  const buffers = program.buffers.map((size) => take(size));
  const segments: WasmSegment[] = runs.map((run, s) => ({
    exportName: `segment${s}`,
    layers: run.map((i) => {
      const step = program.steps[i] as DenseStep;
      const { rows, columns } = step.weights;
      const padded = paddedRows(rows);
      const integer = step.integer
        ? // int16 codes (8 per block) and int16 weights two columns at a time: half a float each.
          { codes: take(roundUp(columns, 8) / 2), intBias: take(padded), factors: take(padded), scaleSlot: take(1) }
        : null;
      return {
        step: i,
        rows,
        columns,
        weights: take(integer ? padded * Math.ceil(columns / 2) : padded * columns),
        bias: take(padded),
        scales: !integer && step.weights.int8 ? take(padded) : null,
        integer,
        activationInJs: kernelActivation(step.activation) === null,
      };
    }),
  }));
  // Room for the quantizer's reads past the end of a buffer (8 values at a time).
  take(8);
  return { bytes: assemble(program, buffers, segments, next), buffers, floats: next, segments };
}

/** Function indices, added to the module as calls first need them (kernels before the segments that call them). */
class Functions {
  readonly list: WasmFunction[] = [];
  private readonly index = new Map<string, number>();

  get(key: string, make: () => WasmFunction): number {
    if (!this.index.has(key)) {
      const f = make();
      this.index.set(key, this.list.length);
      this.list.push(f);
    }
    return this.index.get(key)!;
  }
}

const bytesAt = (float: number) => 4 * float;

/** The full groups of 16 rows in one call, the last 4, 8 or 12 rows in another: [first row, rows per group, groups]. */
function groupCalls(rows: number): [number, number, number][] {
  const padded = paddedRows(rows);
  const full = Math.floor(padded / GROUP_ROWS);
  const calls: [number, number, number][] = [];
  if (full > 0) calls.push([0, GROUP_ROWS, full]);
  if (padded % GROUP_ROWS) calls.push([full * GROUP_ROWS, padded % GROUP_ROWS, 1]);
  return calls;
}

function activationArgs(step: DenseStep, layer: WasmLayer): number[] {
  const a = step.activation;
  const code = layer.activationInJs ? KERNEL_ACTIVATION.none : kernelActivation(a)!;
  return [code, a?.kind === 'leaky-relu' ? a.alpha : a?.kind === 'clip' ? a.min : 0, a?.kind === 'clip' ? a.max : 0];
}

function floatCalls(functions: Functions, program: Program, buffers: number[], layer: WasmLayer): KernelCall[] {
  const step = program.steps[layer.step] as DenseStep;
  return groupCalls(layer.rows).map(([from, groupRows, groups]) => ({
    kernel: functions.get(`dense${groupRows}`, () => ({ body: denseKernel(groupRows / 4), results: [] })),
    params: DENSE_PARAMS,
    args: [
      bytesAt(layer.weights + from * layer.columns),
      bytesAt(buffers[step.input]),
      bytesAt(buffers[step.output] + from),
      layer.columns,
      groups,
      bytesAt(layer.bias + from),
      layer.scales === null ? 0 : bytesAt(layer.scales + from),
      ...activationArgs(step, layer),
    ],
  }));
}

function integerCalls(functions: Functions, program: Program, buffers: number[], layer: WasmLayer): KernelCall[] {
  const step = program.steps[layer.step] as DenseStep;
  const product = step.integer as IntegerProduct;
  const at = layer.integer!;
  const x = bytesAt(buffers[step.input]);
  const blocks = Math.ceil(layer.columns / 8);
  const quantize = functions.get('quantize', () => ({ body: quantizeKernel(), results: [] }));
  const calls: KernelCall[] = [];
  if (product.input.kind === 'static') {
    const [qmin, qmax] = typeRange(product.input.type);
    const zero = product.input.zeroPoint;
    calls.push({ kernel: quantize, params: QUANTIZE_PARAMS, args: [x, blocks, bytesAt(at.codes), product.input.scale, qmin - zero, qmax - zero] });
  } else {
    const dynamic = functions.get('dynamic-quantize', () => ({ body: dynamicQuantizeKernel(quantize), results: [] }));
    calls.push({ kernel: dynamic, params: DYNAMIC_QUANTIZE_PARAMS, args: [x, x + 16 * Math.floor(layer.columns / 4), x + 4 * layer.columns, blocks, bytesAt(at.codes), bytesAt(at.scaleSlot)] });
  }
  const out = product.output;
  const [requantize, lo, hi, outScale] =
    out.kind === 'requantize' ? [1, typeRange(out.type)[0] - out.zeroPoint, typeRange(out.type)[1] - out.zeroPoint, out.scale] : [0, 0, 0, 1];
  const pairs = Math.ceil(layer.columns / 2);
  for (const [from, groupRows, groups] of groupCalls(layer.rows)) {
    calls.push({
      kernel: functions.get(`dense-int8-${groupRows}`, () => ({ body: denseInt8Kernel(groupRows / 4), results: [] })),
      params: DENSE_INT8_PARAMS,
      args: [
        bytesAt(layer.weights + from * pairs),
        bytesAt(at.codes),
        bytesAt(buffers[step.output] + from),
        pairs,
        groups,
        bytesAt(at.intBias + from),
        bytesAt(at.factors + from),
        bytesAt(at.scaleSlot),
        requantize,
        lo,
        hi,
        outScale,
        bytesAt(layer.bias + from),
        ...activationArgs(step, layer),
      ],
    });
  }
  return calls;
}

function assemble(program: Program, buffers: number[], segments: WasmSegment[], floats: number): Uint8Array {
  const functions = new Functions();
  const bodies = segments.map((segment) =>
    segmentFunction(segment.layers.flatMap((layer) => (layer.integer ? integerCalls(functions, program, buffers, layer) : floatCalls(functions, program, buffers, layer)))),
  );
  // Calls name functions by index: every kernel is in the list before the segments are appended.
  bodies.forEach((body, s) => functions.list.push({ body, results: [], exportAs: segments[s].exportName }));
  return encodeModule(functions.list, Math.max(1, Math.ceil(bytesAt(floats) / 65536)));
}
