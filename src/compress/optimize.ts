// `optimize`: graph clean-ups that change no output — drop Identity and Dropout (inference), MatMul + Add →
// Gemm, fold Transposes of constants, fuse consecutive Transposes, fold a 2-D Transpose into the Gemm
// that reads it. One rewriter per op type.
import { floatAttr, getIntAttr, getIntsAttr, intAttr, intsAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/model.js';
import { PASS_THROUGH_OPS } from '../onnx/ops.js';
import { DataType, float32Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import type { GraphEditor } from './editor.js';
import { transposeMatrix } from './matrix.js';
import type { Pass, Rewriter } from './pass.js';

const RANK_PRESERVING = new Set(['Relu', 'LeakyRelu', 'Elu', 'Tanh', 'Sigmoid', 'Softmax', 'Identity', 'Dropout', 'Add', 'Sub', 'Mul', 'Div']);

/** Whether a value is certainly a matrix [batch, n] (Gemm takes only 2-D A). */
function isMatrix(value: string, editor: GraphEditor, depth = 0): boolean {
  const input = editor.graph.input.find((v) => v.name === value);
  if (input) return input.type?.tensorType?.shape?.dim.length === 2;
  const node = editor.producer(value);
  if (!node || depth > 64) return false;
  if (node.opType === 'Gemm') return true;
  if (node.opType === 'Flatten') return true;
  if (node.opType === 'MatMul') return isMatrix(node.input[0], editor, depth + 1) && editor.initializers.get(node.input[1])?.dims.length === 2;
  if (RANK_PRESERVING.has(node.opType)) return isMatrix(node.input[0], editor, depth + 1);
  return false;
}

/** Pass-through nodes (Identity, Dropout): readers of the output read the input instead. */
const bypass: Rewriter<unknown> = (node, editor) => {
  const [input] = node.input;
  const [output, mask] = node.output;
  if (editor.isGraphOutput(output) || (mask && editor.consumers(mask).length > 0) || editor.initializers.has(output)) return null;
  editor.renameReads(output, input);
  editor.remove(node);
  return `dropped ${node.opType} '${node.name ?? ''}'`;
};

const transpose: Rewriter<unknown> = (node, editor) => {
  const [input] = node.input;
  const [output] = node.output;
  const constant = editor.initializers.get(input);
  const perm = getIntsAttr(node, 'perm') ?? (constant ? constant.dims.map((_, i) => constant.dims.length - 1 - i) : undefined);
  // A transposed 2-D float constant becomes a constant.
  if (constant && constant.dataType === DataType.FLOAT && constant.dims.length === 2 && perm?.join() === '1,0' && !editor.isGraphOutput(output)) {
    const [rows, cols] = constant.dims;
    const folded = editor.fresh(output);
    editor.addInitializer(float32Tensor(folded, [cols, rows], transposeMatrix(tensorToFloat32(constant), rows, cols)));
    editor.renameReads(output, folded);
    editor.remove(node);
    return `folded Transpose '${node.name ?? ''}' of a constant`;
  }
  if (!perm) return null;
  // Transpose of a Transpose (read by nothing else): one Transpose, or none when they cancel.
  const previous = editor.producer(input);
  if (previous?.opType === 'Transpose' && editor.consumers(input).length === 1 && !editor.isGraphOutput(input)) {
    const first = getIntsAttr(previous, 'perm');
    if (first && first.length === perm.length) {
      const combined = perm.map((p) => first[p]);
      editor.remove(previous);
      if (combined.every((p, i) => p === i) && !editor.isGraphOutput(output)) {
        editor.renameReads(output, previous.input[0]);
        editor.remove(node);
        return `removed Transposes '${previous.name ?? ''}' and '${node.name ?? ''}' that cancel`;
      }
      editor.replace(node, [makeNode('Transpose', [previous.input[0]], [output], node.name, [intsAttr('perm', combined)])]);
      return `fused Transposes '${previous.name ?? ''}' and '${node.name ?? ''}'`;
    }
  }
  // A 2-D Transpose read only by Gemms: flip their transA / transB instead.
  const readers = editor.consumers(output);
  if (perm.join() === '1,0' && readers.length > 0 && readers.every((r) => r.opType === 'Gemm' && r.input.indexOf(output) < 2 && r.input.lastIndexOf(output) === r.input.indexOf(output)) && !editor.isGraphOutput(output)) {
    for (const gemm of readers) {
      const attr = gemm.input.indexOf(output) === 0 ? 'transA' : 'transB';
      gemm.attribute = [...gemm.attribute.filter((a) => a.name !== attr), intAttr(attr, getIntAttr(gemm, attr, 0) ? 0 : 1)];
    }
    editor.renameReads(output, input);
    editor.remove(node);
    return `folded Transpose '${node.name ?? ''}' into ${readers.length} Gemm`;
  }
  return null;
};

/** MatMul(A, W) + b with a 2-D constant W, a 1-D constant b and a matrix A → Gemm(A, W, b). */
const matmul: Rewriter<unknown> = (node: NodeProto, editor) => {
  const [a, w] = node.input;
  const [product] = node.output;
  const weight = editor.initializers.get(w);
  const readers = editor.consumers(product);
  if (!weight || weight.dims.length !== 2 || readers.length !== 1 || readers[0].opType !== 'Add' || editor.isGraphOutput(product)) return null;
  const add = readers[0];
  const bias = add.input.find((i) => i !== product);
  const biasTensor = bias === undefined ? undefined : editor.initializers.get(bias);
  if (!biasTensor || biasTensor.dims.length !== 1 || biasTensor.dims[0] !== weight.dims[1] || !isMatrix(a, editor)) return null;
  editor.remove(add);
  editor.replace(node, [makeNode('Gemm', [a, w, bias!], [add.output[0]], node.name, [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transA', 0), intAttr('transB', 0)])]);
  return `MatMul '${node.name ?? ''}' + Add '${add.name ?? ''}' → Gemm`;
};

export const optimizePass: Pass<Record<string, never>> = {
  name: 'optimize',
  rewriters: { ...Object.fromEntries(PASS_THROUGH_OPS.map((op) => [op, bypass])), Transpose: transpose, MatMul: matmul },
};
