// Fixture generator for test/policy/mutated-models.test.ts: models that decode but cannot run as policies,
// each made from a real valid policy (models/cartpole-v1-student-16x16/student.onnx: obs [batch, 4] → Gemm
// 16 → Relu → Gemm 16 → Relu → Gemm 2 → logits) by one mutation, the ones the fault audit found and a few
// more. The chain of 10^6 Relu nodes is written as protobuf bytes directly (25 MB, in well under a second),
// since building and encoding a million node objects would cost more than the test may.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intAttr, intsAttr, makeNode, tensorAttr, tensorValueInfo } from '../../src/onnx/graph.js';
import { decodeModel, decodeModelUnvalidated, encodeModel, type ModelProto, type TensorProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor, tensorToFloat32 } from '../../src/onnx/tensor.js';
import { ROOT } from '../cli/run-cli.js';
import { PYTHON } from '../support/python.js';

export const BASE_MODEL = join(ROOT, 'models/cartpole-v1-student-16x16/student.onnx');

export interface Mutant {
  name: string;
  /** What the mutation is, in words. */
  made: string;
  /** Whether onnx.checker (full_check) accepts the file: true means only qdistill's semantics can refuse it. null: not run (too large). */
  validOnnx: boolean | null;
  /** The refusal every policy command (eval, quantize, serve) must print. */
  refusal: RegExp;
  /** What `inspect` does: the same refusal for a file no runtime can run, 'ok' for a valid ONNX model that is only not a policy for CartPole. */
  inspect: 'same' | 'ok';
  /**
   * Which commands the test runs it through as processes: the audit's mutants all four (the served one:
   * serve); the others, which the in-process test reads the way every command does, none — or eval, for
   * the one that only the policy checks refuse. (A process costs 1–2.5 s of CPU, mostly loading modules.)
   */
  commands: readonly ('inspect' | 'eval' | 'quantize' | 'serve')[];
  /** Builds the file's bytes. */
  bytes: () => Uint8Array;
}

function base(): ModelProto {
  return decodeModel(readFileSync(BASE_MODEL), BASE_MODEL);
}

/** The base model with `edit` applied, encoded (not validated: the mutants are what validation must refuse). */
function mutate(edit: (model: ModelProto) => void): () => Uint8Array {
  return () => {
    const model = decodeModelUnvalidated(encodeModel(base()));
    edit(model);
    return encodeModel(model);
  };
}

function initializer(model: ModelProto, name: string): TensorProto {
  const t = model.graph!.initializer.find((x) => x.name === name);
  if (!t) throw new Error(`the base model has no initializer '${name}'`);
  return t;
}

function replaceInitializer(model: ModelProto, tensor: TensorProto): void {
  const graph = model.graph!;
  graph.initializer = graph.initializer.map((t) => (t.name === tensor.name ? tensor : t));
}

/** The float initializer `name` with element `index` set to `value` (its dims kept). */
function setWeightElement(model: ModelProto, name: string, index: number, value: number): void {
  const t = initializer(model, name);
  const values = tensorToFloat32(t);
  values[index] = value;
  replaceInitializer(model, float32Tensor(name, t.dims.map(Number), values));
}

function setBatch(model: ModelProto, batch: number): void {
  for (const v of [...model.graph!.input, ...model.graph!.output]) v.type!.tensorType!.shape!.dim[0] = { dimValue: batch };
}

// --- the 10^6 Relu chain, as raw protobuf -----------------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
const lengthDelimited = (field: number, payload: Buffer) => Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(payload.length)]), payload]);
const text = (field: number, s: string) => lengthDelimited(field, Buffer.from(s, 'utf8'));
const integer = (field: number, v: number) => Buffer.from([...varint(field << 3), ...varint(v)]);

function valueInfoBytes(name: string, dims: (number | string)[]): Buffer {
  const shape = Buffer.concat(dims.map((d) => lengthDelimited(1, typeof d === 'number' ? integer(1, d) : text(2, d))));
  // ValueInfoProto{name, type: TypeProto{tensor_type: {elem_type FLOAT, shape}}}
  return Buffer.concat([text(1, name), lengthDelimited(2, lengthDelimited(1, Buffer.concat([integer(1, DataType.FLOAT), lengthDelimited(2, shape)])))]);
}

/**
 * A policy for CartPole-v1 of `relus` Relu nodes on [batch, 4] and a MatMul by a 4×2 weight: a valid ONNX
 * model (checked at a small size), written field by field without building message objects.
 */
export function reluChainBytes(relus: number): Uint8Array {
  // The nodes go straight into one buffer: NodeProto{input, output, op_type} as field 1 of the graph.
  const nodes = Buffer.alloc(relus * (2 * 4 + 2 * 12 + 6));
  let at = 0;
  const putText = (field: number, s: string) => {
    nodes[at++] = (field << 3) | 2;
    nodes[at++] = s.length;
    at += nodes.write(s, at, 'latin1');
  };
  for (let i = 0; i < relus; i++) {
    const input = `t${i}`;
    const output = `t${i + 1}`;
    nodes[at++] = 0x0a;
    nodes[at++] = 2 + input.length + 2 + output.length + 2 + 4;
    putText(1, input);
    putText(2, output);
    putText(4, 'Relu');
  }
  const parts: Buffer[] = [nodes.subarray(0, at)];
  parts.push(lengthDelimited(1, Buffer.concat([text(1, `t${relus}`), text(1, 'w'), text(2, 'q_values'), text(3, 'head'), text(4, 'MatMul')])));
  const weight = Buffer.alloc(4 * 8);
  for (let i = 0; i < 8; i++) weight.writeFloatLE((i % 3) - 1, 4 * i);
  // TensorProto{dims 4, dims 2, data_type FLOAT, name, raw_data}
  const tensor = Buffer.concat([integer(1, 4), integer(1, 2), integer(2, DataType.FLOAT), text(8, 'w'), lengthDelimited(9, weight)]);
  parts.push(text(2, 'relu_chain'), lengthDelimited(5, tensor), lengthDelimited(11, valueInfoBytes('t0', ['batch', 4])), lengthDelimited(12, valueInfoBytes('q_values', ['batch', 2])));
  const metadata = lengthDelimited(14, Buffer.concat([text(1, 'qdistill.env'), text(2, 'CartPole-v1')]));
  // ModelProto{ir_version 8, graph, opset_import {version 17}, metadata_props}
  return new Uint8Array(Buffer.concat([integer(1, 8), lengthDelimited(7, Buffer.concat(parts)), lengthDelimited(8, integer(2, 17)), metadata]));
}

export const RELU_CHAIN = 1_000_000;

const ALL = ['inspect', 'eval', 'quantize', 'serve'] as const;

/** The mutants, in the order the test runs them. */
export const MUTANTS: Mutant[] = [
  {
    name: 'action-12',
    made: "the graph output renamed to the first hidden layer's Relu, its shape left out (eval: 'action 12 is not in 0..1')",
    validOnnx: false,
    refusal: /^graph output 'hidden_0_0' is an intermediate tensor: node 'Gemm_2' \(Gemm\) reads it, and what that node computes feeds no graph output/,
    inspect: 'same',
    commands: ALL,
    bytes: mutate((m) => {
      const output = m.graph!.output[0];
      output.name = 'hidden_0_0';
      delete output.type!.tensorType!.shape;
    }),
  },
  {
    name: 'intermediate-output',
    made: "the graph output renamed to the second hidden layer's Relu, declared [batch, 16] (served: 200 with wrong values)",
    validOnnx: true,
    refusal: /^graph output 'hidden_1_2' is an intermediate tensor: node 'Gemm_4' \(Gemm\) reads it/,
    inspect: 'same',
    commands: ['serve'],
    bytes: mutate((m) => {
      const output = m.graph!.output[0];
      output.name = 'hidden_1_2';
      output.type!.tensorType!.shape!.dim[1] = { dimValue: 16 };
    }),
  },
  {
    name: 'gemm-transA',
    made: 'transA=1 on the first Gemm: A [batch, 4] transposed no longer meets B [4, 16]',
    validOnnx: true,
    refusal: /^node 'Gemm_0' \(Gemm\): inner dimensions differ: A \[batch, 4\] \(transA=1: \[4, batch\]\) against B \[4, 16\]: batch against 4, which ties the batch to 4/,
    inspect: 'same',
    commands: ALL,
    bytes: mutate((m) => {
      m.graph!.node[0].attribute = m.graph!.node[0].attribute.filter((a) => a.name !== 'transA').concat(intAttr('transA', 1));
    }),
  },
  {
    name: 'bias-16x1',
    made: "the second Gemm's bias reshaped from [16] to [16, 1]",
    validOnnx: true,
    refusal: /^node 'Gemm_2' \(Gemm\): bias C \[16, 1\] does not broadcast to the output's \[batch, 16\]/,
    inspect: 'same',
    commands: ALL,
    bytes: mutate((m) => {
      const bias = initializer(m, 'hidden_1.bias');
      replaceInitializer(m, float32Tensor('hidden_1.bias', [16, 1], tensorToFloat32(bias)));
    }),
  },
  {
    name: 'fixed-batch-7',
    made: 'input and output fix the batch at 7 (served: 500 on every call)',
    validOnnx: true,
    refusal: /^input 'obs' fixes the batch at 7; qdistill runs a policy on one observation at a time and on batches of any size, so its batch must be 1 or symbolic/,
    inspect: 'ok',
    commands: ALL,
    bytes: mutate((m) => setBatch(m, 7)),
  },
  {
    name: 'relu-chain',
    made: `${RELU_CHAIN.toLocaleString('en-US')} Relu nodes before the head (eval: 240 s and 4.4 GB)`,
    validOnnx: null,
    refusal: /^graph has 1,000,001 nodes; qdistill reads graphs of at most 10,000 nodes/,
    inspect: 'same',
    commands: ALL,
    bytes: () => reluChainBytes(RELU_CHAIN),
  },
  {
    name: 'nan-weight',
    made: "one NaN in the second Gemm's weight",
    validOnnx: true,
    refusal: /^initializer 'hidden_1\.weight' \(read by node 'Gemm_2' \(Gemm\)\) holds NaN at element 37 of \[16,16\]/,
    inspect: 'same',
    commands: ALL,
    bytes: mutate((m) => setWeightElement(m, 'hidden_1.weight', 37, NaN)),
  },
  // Further mutants of our own.
  {
    name: 'wide-output',
    made: 'the head widened to 64 outputs, declared [batch, actions] (symbolic)',
    validOnnx: true,
    refusal: /^the model's output 'logits' has 64 values per state but CartPole-v1 has 2 actions/,
    inspect: 'ok',
    commands: ['eval'],
    bytes: mutate((m) => {
      replaceInitializer(m, float32Tensor('q_values.weight', [16, 64], Float32Array.from({ length: 16 * 64 }, (_, i) => Math.sin(i))));
      replaceInitializer(m, float32Tensor('q_values.bias', [64], new Float32Array(64)));
      m.graph!.output[0].type!.tensorType!.shape!.dim[1] = { dimParam: 'actions' };
    }),
  },
  {
    name: 'inf-weight',
    made: "+Inf in the head's weight",
    validOnnx: true,
    refusal: /^initializer 'q_values\.weight' \(read by node 'Gemm_4' \(Gemm\)\) holds \+Inf at element 5 of \[16,2\]/,
    inspect: 'same',
    commands: [],
    bytes: mutate((m) => setWeightElement(m, 'q_values.weight', 5, Infinity)),
  },
  {
    name: 'reshape-batch-7',
    made: 'a Reshape(obs, [7, -1]) in front of the first Gemm, the batch symbolic (a batch-7 export with the batch made symbolic)',
    validOnnx: true,
    refusal: /^node 'reshape7' \(Reshape\): cannot reshape input \[batch, 4\] to \[7, -1\] at a batch of 1/,
    inspect: 'same',
    commands: [],
    bytes: mutate((m) => {
      const graph = m.graph!;
      graph.initializer.push(int64Tensor('shape7', [2], [7, -1]));
      graph.node[0].input[0] = 'obs7';
      graph.node.unshift(makeNode('Reshape', ['obs', 'shape7'], ['obs7'], 'reshape7'));
    }),
  },
  {
    name: 'huge-tensor',
    made: 'a ConstantOfShape of [16384, 16384] (2^28 elements, 1 GiB) reduced and added to the Q-values',
    validOnnx: true,
    refusal: /^node 'zeros' \(ConstantOfShape\) makes 'big' of shape \[16384, 16384\], 2\.68e\+8 elements at a batch of 1; qdistill reads models whose tensors hold at most 134217728 elements/,
    inspect: 'same',
    commands: [],
    bytes: mutate((m) => {
      const graph = m.graph!;
      const last = graph.node[graph.node.length - 1];
      last.output[0] = 'logits_raw';
      graph.initializer.push(int64Tensor('big_shape', [2], [16384, 16384]));
      graph.node.push(
        makeNode('ConstantOfShape', ['big_shape'], ['big'], 'zeros', [tensorAttr('value', float32Tensor('zero', [1], [0]))]),
        makeNode('ReduceMax', ['big'], ['big_max'], 'big_max', [intsAttr('axes', [0, 1]), intAttr('keepdims', 0)]),
        makeNode('Add', ['logits_raw', 'big_max'], ['logits'], 'add_max'),
      );
    }),
  },
  {
    name: 'declared-shape',
    made: 'the head removed and the last Relu named logits, still declared [batch, 2]',
    validOnnx: false,
    refusal: /^graph output 'logits' is declared \[batch, 2\], but node 'Relu_3' \(Relu\) makes it \[batch, 16\]/,
    inspect: 'same',
    commands: [],
    bytes: mutate((m) => {
      const graph = m.graph!;
      graph.node.pop();
      graph.node[graph.node.length - 1].output[0] = 'logits';
      graph.initializer = graph.initializer.filter((t) => !t.name!.startsWith('q_values.'));
    }),
  },
];

/** Writes every mutant to `dir` as <name>.onnx; returns the paths by name. */
export function writeMutants(dir: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const m of MUTANTS) {
    const path = join(dir, `${m.name}.onnx`);
    writeFileSync(path, m.bytes());
    paths.set(m.name, path);
  }
  return paths;
}
