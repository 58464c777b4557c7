// Peephole rewrites on a lowered program's step list (program.ts): fuse a step into the one before it where
// the arithmetic allows, store weights in the requested format, and drop unused buffers. Buffers are written
// once, so a step's output can be renamed freely.
import { quantizeSymmetric } from '../util/int8.js';
import type { Program, Step, WeightMatrix } from './program-types.js';

function readsOf(step: Step): number[] {
  if (step.kind === 'dueling') return [step.input, step.value];
  if (step.kind === 'binary') return [step.input, step.other];
  return [step.input];
}

function renameBuffer(program: Program, from: number, to: number): void {
  for (const step of program.steps) {
    if (step.input === from) step.input = to;
    if (step.kind === 'dueling' && step.value === from) step.value = to;
    if (step.kind === 'binary' && step.other === from) step.other = to;
  }
  if (program.result === from) program.result = to;
}

/** Activations and constant adds into the dense/conv step before them; chained gathers into one. */
export function fuse(program: Program): Program {
  const steps = program.steps;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const producer = steps.find((s) => s.output === step.input);
    const readers = steps.filter((s) => readsOf(s).includes(step.input)).length;
    if (!producer || readers !== 1 || program.result === step.input) continue;
    let fused = false;
    if (step.kind === 'activation' && (producer.kind === 'dense' || producer.kind === 'conv2d') && !producer.activation) {
      producer.activation = step.activation;
      fused = true;
    } else if (step.kind === 'add-constant' && producer.kind === 'dense' && !producer.activation) {
      producer.bias = producer.bias ? producer.bias.map((b, r) => b + step.constant[r]) : step.constant;
      fused = true;
    } else if (step.kind === 'gather' && producer.kind === 'gather') {
      producer.indices = step.indices.map((j) => producer.indices[j]);
      fused = true;
    } else if (step.kind === 'dense' && producer.kind === 'gather' && isPermutation(producer.indices, program.buffers[producer.input])) {
      // Σ_c W[r, c]·x[idx[c]] reads x in another order: permute the weight columns instead of the values
      // (an integer step's too: its input quantization is elementwise, or over all values at once).
      permuteColumns(step.weights, producer.indices);
      if (step.integer) step.integer.weights.q = permutedColumns(step.integer.weights.q, step.weights.rows, step.weights.columns, producer.indices);
      step.input = producer.input;
      steps.splice(steps.indexOf(producer), 1);
      i--;
    }
    if (fused) {
      steps.splice(i--, 1);
      renameBuffer(program, step.output, producer.output);
    }
  }
  return program;
}

function isPermutation(indices: Int32Array, size: number): boolean {
  if (indices.length !== size) return false;
  const seen = new Uint8Array(size);
  for (const j of indices) {
    if (j < 0 || j >= size || seen[j]) return false;
    seen[j] = 1;
  }
  return true;
}

function permutedColumns(q: Int8Array, rows: number, columns: number, indices: Int32Array): Int8Array {
  const out = new Int8Array(q.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[r * columns + indices[c]] = q[r * columns + c];
  return out;
}

function permuteColumns(w: WeightMatrix, indices: Int32Array): void {
  const values = new Float32Array(w.values.length);
  const q = w.int8 ? new Int8Array(w.int8.q.length) : null;
  for (let r = 0; r < w.rows; r++) {
    for (let c = 0; c < w.columns; c++) {
      values[r * w.columns + indices[c]] = w.values[r * w.columns + c];
      if (q) q[r * w.columns + indices[c]] = w.int8!.q[r * w.columns + c];
    }
  }
  w.values = values;
  if (w.int8 && q) w.int8 = { q, scales: w.int8.scales };
}

export function setWeightFormat(program: Program): Program {
  for (const step of program.steps) {
    if (step.kind !== 'dense' && step.kind !== 'conv2d') continue;
    const w = step.weights;
    // An integer step computes with its own int8 weights (IntegerProduct), whatever the format asked for.
    if (step.integer) {
      w.int8 = null;
      continue;
    }
    if (program.weights === 'float32') w.int8 = null;
    else if (!w.int8) w.int8 = quantizeSymmetric(w.values, [w.rows, w.columns], 0);
  }
  return program;
}

/** Drops buffers no step uses and numbers the rest in order. */
export function compact(program: Program): Program {
  const used = new Set<number>([0, program.result]);
  for (const step of program.steps) [...readsOf(step), step.output].forEach((b) => used.add(b));
  const order = [...used].sort((a, b) => a - b);
  const index = new Map(order.map((b, i) => [b, i]));
  for (const step of program.steps) {
    step.input = index.get(step.input)!;
    step.output = index.get(step.output)!;
    if (step.kind === 'dueling') step.value = index.get(step.value)!;
    if (step.kind === 'binary') step.other = index.get(step.other)!;
  }
  program.result = index.get(program.result)!;
  program.buffers = order.map((b) => program.buffers[b]);
  return program;
}
