// The WebAssembly part of the generated JS module (js.ts): the kernel's bytes in base64, instantiated
// synchronously at import; the scratch buffers as views of the kernel's memory; the weights copied there in
// the kernel's packed layout; and a run() that calls one wasm function per run of dense layers and the plain
// loops for every other step. Where WebAssembly SIMD is unavailable (an engine without it, --jitless, a page
// whose Content-Security-Policy forbids compiling wasm) the module runs its plain JS loops instead, on the
// same constants, so it computes the same outputs everywhere.
import type { DenseStep, IntegerProduct, Program, Step } from './program-types.js';
import { planWasm, type KernelChoice, type WasmLayer, type WasmPlan } from './wasm-layout.js';

/** What the JS generator supplies: how it names constants and buffers, and a step's plain loops. */
export interface JsNames {
  /** A step's constant: float weights (w), int8 weights (q) and scales (s), float bias, an integer step's int8 weights (iq) and int32 bias (ib). */
  constant(kind: 'w' | 'q' | 's' | 'bias' | 'iq' | 'ib', step: number): string;
  buffer(index: number): string;
  stepLines(step: Step, index: number): string[];
}

/** The lines of the generated module that depend on the kernel choice; see kernelParts(). */
export interface KernelParts {
  /** After the constants: the kernel's instantiation and the packing helpers (empty without a plan). */
  prelude: string[];
  /** The scratch buffer declarations. */
  buffers: string[];
  /** run() and the `kernels` export, given the plain loops of every step (the body of the JS run()). */
  run(plainBody: string[]): string[];
}

const PACKING = `// Copies a row-major [rows, columns] matrix into the kernel's layout: groups of 16 rows (the last one of 4, 8
// or 12, padded with zero rows), each group column by column with the group's rows side by side.
function packRows(heap, at, w, rows, columns) {
  const padded = (rows + 3) & ~3;
  for (let r0 = 0; r0 < padded; r0 += 16) {
    const width = Math.min(16, padded - r0);
    for (let c = 0; c < columns; c++) {
      for (let j = 0; j < width; j++) heap[at++] = r0 + j < rows ? w[(r0 + j) * columns + c] : 0;
    }
  }
}
// One value per row, or the one value of the tensor repeated.
function spread(view, at, values, rows) {
  for (let r = 0; r < rows; r++) view[at + r] = values.length > 1 ? values[r] : values[0];
}`;

const PACKING_INT8 = `// int8 weights less their zero points (one per row, or one), as int16 in packRows' layout taken two columns
// at a time: each group pair by pair, each row's two values side by side (a missing last column is 0).
function packPairs(heap16, at, q, zeroPoints, rows, columns) {
  const padded = (rows + 3) & ~3;
  const pairs = (columns + 1) >> 1;
  for (let r0 = 0; r0 < padded; r0 += 16) {
    const width = Math.min(16, padded - r0);
    for (let p = 0; p < pairs; p++) {
      for (let r = r0; r < r0 + width; r++) {
        for (let c = 2 * p; c < 2 * p + 2; c++) heap16[at++] = r < rows && c < columns ? q[r * columns + c] - zeroPoints[zeroPoints.length > 1 ? r : 0] : 0;
      }
    }
  }
}`;

/** Little-endian bytes of the values in base64, read back by the module's f32 / i32 / i8 decoders. */
function encoded(values: Float32Array | Int32Array | Int8Array): string {
  if (values instanceof Int8Array) return `i8("${base64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))}")`;
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (values instanceof Float32Array ? view.setFloat32(i * 4, v, true) : view.setInt32(i * 4, v, true)));
  return `${values instanceof Float32Array ? 'f32' : 'i32'}("${base64(bytes)}")`;
}

/** The factors an integer step multiplies its int32 sums by: rescale factors, requantize multipliers, or (dynamic) the weight scales. */
function factorsOf(product: IntegerProduct): Float32Array {
  if (product.output.kind === 'requantize') return product.output.multipliers;
  return product.output.factors ?? product.weights.scales;
}

/**
 * The per-row arrays of an integer step the kernel needs in full (the JS loops write uniform ones as literals):
 * weight zero points and output factors. The int8 weights and the biases are the JS module's own constants.
 */
function integerConstants(step: DenseStep, i: number): string[] {
  const p = step.integer!;
  return [`const kzp${i} = ${encoded(p.weights.zeroPoints)};`, `const kf${i} = ${encoded(factorsOf(p))};`];
}

const INSTANTIATE = `// The kernel, or null where WebAssembly SIMD cannot run here: validate() is the SIMD probe (an engine
// without SIMD rejects these bytes), and compiling can still be refused (a page's CSP, Chromium's 4 KiB limit
// on synchronous compiles on a page's main thread). Then the plain loops below run instead.
function instantiateKernel(text) {
  try {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return null;
    const bytes = bytesOf(text);
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  } catch {
    return null;
  }
}`;

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const plainBuffers = (program: Program, names: JsNames) => program.buffers.map((size, i) => `const ${names.buffer(i)} = new Float32Array(${size});`);

function stepRange(segment: WasmPlan['segments'][number]): string {
  const first = segment.layers[0].step + 1;
  const last = segment.layers[segment.layers.length - 1].step + 1;
  return first === last ? `step ${first}` : `steps ${first}–${last}`;
}

function denseStep(program: Program, i: number): DenseStep {
  const step = program.steps[i];
  if (step.kind !== 'dense') throw new Error(`step ${i + 1} in a wasm segment is ${step.kind}`);
  return step;
}

/** Statements (run once at import, when the kernel is there) that copy every layer's constants into its memory. */
function copyLines(program: Program, layers: WasmLayer[], names: JsNames): string[] {
  return layers.flatMap((layer) => {
    const i = layer.step;
    const step = denseStep(program, i);
    if (layer.integer) {
      const at = layer.integer;
      return [
        `  packPairs(heap16, ${2 * layer.weights}, ${names.constant('iq', i)}, kzp${i}, ${layer.rows}, ${layer.columns});`,
        `  spread(heap, ${at.factors}, kf${i}, ${layer.rows});`,
        ...(step.integer!.bias ? [`  spread(heap32, ${at.intBias}, ${names.constant('ib', i)}, ${layer.rows});`] : []),
        ...(step.bias ? [`  heap.set(${names.constant('bias', i)}, ${layer.bias});`] : []),
        ...(step.integer!.input.kind === 'static' ? [`  heap[${at.scaleSlot}] = 1;`] : []),
      ];
    }
    const int8 = step.weights.int8;
    return [
      `  packRows(heap, ${layer.weights}, ${names.constant(int8 ? 'q' : 'w', i)}, ${layer.rows}, ${layer.columns});`,
      ...(step.bias ? [`  heap.set(${names.constant('bias', i)}, ${layer.bias});`] : []),
      ...(int8 ? [`  spread(heap, ${layer.scales}, ${names.constant('s', i)}, ${layer.rows});`] : []),
    ];
  });
}

/** The body of runWasm(): one call per segment (and the activation JS applies after it), the plain loops of every other step. */
function wasmRunLines(program: Program, plan: WasmPlan, names: JsNames): string[] {
  const startsAt = new Map(plan.segments.map((segment) => [segment.layers[0].step, segment]));
  const inWasm = new Set(plan.segments.flatMap((segment) => segment.layers.map((layer) => layer.step)));
  return program.steps.flatMap((step, i) => {
    const segment = startsAt.get(i);
    if (segment) {
      const last = segment.layers[segment.layers.length - 1];
      const lastStep = denseStep(program, last.step);
      // An activation the kernel lacks, applied in place to the layer's output.
      const after = last.activationInJs
        ? names.stepLines({ kind: 'activation', node: lastStep.node, input: lastStep.output, output: lastStep.output, size: last.rows, activation: lastStep.activation! }, last.step)
        : [];
      return [`  // ${stepRange(segment)} in WebAssembly`, `  kernel.${segment.exportName}();`, ...after.map((l) => `  ${l}`)];
    }
    if (inWasm.has(i)) return [];
    return [`  // step ${i + 1}`, ...names.stepLines(step, i).map((l) => `  ${l}`)];
  });
}

/** The kernel-dependent lines of the module for `program` under `choice`. */
export function kernelParts(program: Program, choice: KernelChoice, names: JsNames): KernelParts {
  const plan = planWasm(program, choice);
  if (!plan) {
    return {
      prelude: [],
      buffers: ['// Scratch buffers, allocated once.', ...plainBuffers(program, names)],
      run: (body) => ['function run() {', ...body, '}', '', "export const kernels = 'js';"],
    };
  }
  const layers = plan.segments.flatMap((segment) => segment.layers);
  const integerLayers = layers.filter((layer) => layer.integer);
  return {
    prelude: [
      INSTANTIATE,
      '',
      PACKING,
      ...(integerLayers.length ? [PACKING_INT8] : []),
      '',
      ...integerLayers.flatMap((layer) => integerConstants(denseStep(program, layer.step), layer.step)),
      `// WebAssembly SIMD (${plan.bytes.byteLength} bytes, ${plan.floats * 4} bytes of memory): ${plan.segments.map(stepRange).join(', ')}.`,
      `const kernel = instantiateKernel("${base64(plan.bytes)}");`,
      'const heap = kernel ? new Float32Array(kernel.memory.buffer) : null;',
      ...(integerLayers.length ? ['const heap16 = kernel ? new Int16Array(kernel.memory.buffer) : null;', 'const heap32 = kernel ? new Int32Array(kernel.memory.buffer) : null;'] : []),
      'if (kernel) {',
      ...copyLines(program, layers, names),
      '}',
      '',
    ],
    buffers: [
      "// Scratch buffers, allocated once: inside the kernel's memory when it runs.",
      ...program.buffers.map((size, i) => `const ${names.buffer(i)} = kernel ? heap.subarray(${plan.buffers[i]}, ${plan.buffers[i] + size}) : new Float32Array(${size});`),
    ],
    run: (body) => [
      '// The plain loops: every step in JavaScript.',
      'function runJs() {',
      ...body,
      '}',
      '',
      '// Runs of dense layers in one WebAssembly call each, the other steps in JavaScript.',
      'function runWasm() {',
      ...wasmRunLines(program, plan, names),
      '}',
      '',
      'const run = kernel ? runWasm : runJs;',
      '',
      "/** Where the layers run: 'wasm-simd' when the WebAssembly SIMD kernel is in use, else 'js'. */",
      "export const kernels = kernel ? 'wasm-simd' : 'js';",
    ],
  };
}
