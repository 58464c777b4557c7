// `prune`: magnitude pruning. Unstructured: the smallest |w| of each weight tensor become 0 (the file and the
// multiply-accumulates stay the same size; sparse-aware runtimes and compression gain). Structured: whole
// hidden units of a Gemm → (elementwise ops) → Gemm chain are removed, ranked by the L2 norm of their incoming
// weights, so the file and the multiply-accumulates really shrink.
import { getIntAttr } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, float32Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import type { GraphEditor } from './editor.js';
import { weightAsKN, weightFromKN } from './matrix.js';
import type { Pass, Rewriter } from './pass.js';

/** Options of the prune pass. */
export interface PruneOptions {
  /** Share of weights (unstructured) or hidden units (structured) to remove, in [0, 1). */
  sparsity: number;
  /** true: remove whole hidden units (the file and MACs shrink); false: zero the smallest weights of each tensor. */
  structured: boolean;
}

/** Ops that act on each hidden unit on its own (with at most scalar constants beside it). */
const UNARY = new Set(['Relu', 'LeakyRelu', 'Elu', 'Selu', 'Tanh', 'Sigmoid', 'Softplus', 'Erf', 'HardSigmoid', 'HardSwish', 'Abs', 'Softsign', 'Neg', 'Exp', 'Sqrt', 'Identity', 'Dropout', 'Clip']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min']);

/** A constant holding a single value (an initializer or a Constant node): broadcast to every unit alike. */
function isScalarConstant(value: string, editor: GraphEditor): boolean {
  const producer = editor.producer(value);
  const t = editor.initializers.get(value) ?? (producer?.opType === 'Constant' ? producer.attribute.find((a) => a.name === 'value')?.t : undefined);
  return t !== undefined && t.dims.reduce((a, b) => a * b, 1) === 1;
}

/**
 * The single Gemm that reads `value` as its A input through per-unit ops only (activations written as one op,
 * and those torch writes as several: SiLU x·σ(x), GELU x·½(1+erf(x/√2)), Mish x·tanh(softplus(x))), or
 * undefined. Every value on the way must be read only inside that region, so unit j stays unit j up to the Gemm.
 */
function nextGemm(value: string, editor: GraphEditor): NodeProto | undefined {
  const region = new Set([value]);
  const work = [value];
  let exit: NodeProto | undefined;
  while (work.length) {
    const current = work.pop()!;
    if (editor.isGraphOutput(current) || region.size > 64) return undefined;
    for (const reader of editor.consumers(current)) {
      if (reader.opType === 'Gemm') {
        if (reader.input[0] !== current || getIntAttr(reader, 'transA', 0) || (exit && exit !== reader)) return undefined;
        exit = reader;
        continue;
      }
      const clipOk = reader.opType !== 'Clip' || reader.input.slice(1).every((i) => !i || isScalarConstant(i, editor));
      const unary = UNARY.has(reader.opType) && reader.input[0] === current && clipOk;
      const binary = BINARY.has(reader.opType) && reader.input.every((i) => region.has(i) || isScalarConstant(i, editor) || (i !== current && pendingInRegion(i, region, editor)));
      if (!unary && !binary) return undefined;
      const out = reader.output[0];
      if (!region.has(out)) {
        region.add(out);
        work.push(out);
      }
    }
  }
  // The Gemm's A input must be a value of the region (checked above), and it must be the only exit.
  return exit;
}

/** A value that will join the region: produced by a per-unit op from values of the region (x·σ(x) reads σ(x) before it is visited). */
function pendingInRegion(value: string, region: Set<string>, editor: GraphEditor, depth = 0): boolean {
  if (depth > 8) return false;
  const producer = editor.producer(value);
  if (!producer || !(UNARY.has(producer.opType) || BINARY.has(producer.opType))) return false;
  return producer.input.every((i) => !i || region.has(i) || isScalarConstant(i, editor) || pendingInRegion(i, region, editor, depth + 1));
}

function replaceWeight(editor: GraphEditor, node: NodeProto, index: number, tensor: TensorProto): void {
  const old = node.input[index];
  const name = editor.fresh(old);
  editor.addInitializer({ ...tensor, name });
  node.input[index] = name;
}

const structuredGemm: Rewriter<PruneOptions> = (node, editor, { sparsity }) => {
  const weight = editor.initializers.get(node.input[1]);
  const bias = node.input[2] ? editor.initializers.get(node.input[2]) : undefined;
  const next = nextGemm(node.output[0], editor);
  const nextWeight = next && editor.initializers.get(next.input[1]);
  if (!weight || !next || !nextWeight || weight.dataType !== DataType.FLOAT || nextWeight.dataType !== DataType.FLOAT || getIntAttr(node, 'transA', 0)) return null;
  if (node.input[2] && (!bias || bias.dims.length !== 1)) return null;
  const w = weightAsKN(node, weight);
  const v = weightAsKN(next, nextWeight);
  if (v.k !== w.n) return null;
  const keep = Math.max(1, Math.round(w.n * (1 - sparsity)));
  if (keep >= w.n) return null;
  const norms = Array.from({ length: w.n }, (_, j) => {
    let sum = 0;
    for (let i = 0; i < w.k; i++) sum += w.values[i * w.n + j] ** 2;
    return { j, norm: sum };
  });
  const kept = norms.sort((a, b) => b.norm - a.norm).slice(0, keep).map((u) => u.j).sort((a, b) => a - b);
  const newW = new Float32Array(w.k * keep);
  for (let i = 0; i < w.k; i++) kept.forEach((j, c) => (newW[i * keep + c] = w.values[i * w.n + j]));
  const newV = new Float32Array(keep * v.n);
  kept.forEach((j, r) => newV.set(v.values.subarray(j * v.n, (j + 1) * v.n), r * v.n));
  replaceWeight(editor, node, 1, weightFromKN(node, 'w', newW, w.k, keep));
  if (bias) {
    const b = tensorToFloat32(bias);
    replaceWeight(editor, node, 2, float32Tensor('b', [keep], Float32Array.from(kept, (j) => b[j])));
  }
  replaceWeight(editor, next, 1, weightFromKN(next, 'w', newV, keep, v.n));
  return `Gemm '${node.name ?? ''}': ${w.n} → ${keep} units`;
};

/** Zeroes the smallest-magnitude share of a weight tensor (input 1 of Gemm, MatMul, Conv). */
const unstructured: Rewriter<PruneOptions> = (node, editor, { sparsity }) => {
  const weight = editor.initializers.get(node.input[1]);
  if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length < 2) return null;
  const values = tensorToFloat32(weight);
  const zeros = Math.floor(values.length * sparsity);
  if (zeros === 0) return null;
  const order = Array.from(values.keys()).sort((a, b) => Math.abs(values[a]) - Math.abs(values[b]));
  const pruned = Float32Array.from(values);
  for (let i = 0; i < zeros; i++) pruned[order[i]] = 0;
  replaceWeight(editor, node, 1, float32Tensor('w', weight.dims, pruned));
  return `${node.opType} '${node.name ?? ''}': ${zeros} of ${values.length} weights set to 0`;
};

/** Editors in which structured pruning removed units (to say so when it removed none). */
const shrunk = new WeakSet<GraphEditor>();

const prune: Rewriter<PruneOptions> = (node, editor, options) => {
  if (!options.structured) return unstructured(node, editor, options);
  const change = node.opType === 'Gemm' ? structuredGemm(node, editor, options) : null;
  if (change) shrunk.add(editor);
  return change;
};

export const prunePass: Pass<PruneOptions> = {
  name: 'prune',
  rewriters: { Gemm: prune, MatMul: prune, Conv: prune },
  after: (editor, options) => {
    if (options.structured && !shrunk.has(editor)) {
      editor.notes.push(
        'nothing pruned: --structured removes hidden units of Gemm → per-unit ops → Gemm chains, and this graph has none (a normalization, a concatenation, a head that reads a layer twice, or MatMul/Conv layers end a chain); run optimize first for MatMul + Add, or prune without --structured',
      );
    }
    return [];
  },
};
