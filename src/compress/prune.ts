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

const ELEMENTWISE = new Set(['Relu', 'LeakyRelu', 'Elu', 'Tanh', 'Sigmoid']);

/** The single Gemm that reads `value` as its A input through elementwise ops only, or undefined. */
function nextGemm(value: string, editor: GraphEditor): NodeProto | undefined {
  for (let current = value, depth = 0; depth < 16; depth++) {
    if (editor.isGraphOutput(current)) return undefined;
    const readers = editor.consumers(current);
    if (readers.length !== 1) return undefined;
    const [reader] = readers;
    if (reader.opType === 'Gemm') return reader.input[0] === current && !getIntAttr(reader, 'transA', 0) ? reader : undefined;
    if (!ELEMENTWISE.has(reader.opType)) return undefined;
    current = reader.output[0];
  }
  return undefined;
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

const prune: Rewriter<PruneOptions> = (node, editor, options) => (options.structured ? (node.opType === 'Gemm' ? structuredGemm(node, editor, options) : null) : unstructured(node, editor, options));

export const prunePass: Pass<PruneOptions> = { name: 'prune', rewriters: { Gemm: prune, MatMul: prune, Conv: prune } };
