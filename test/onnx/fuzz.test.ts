import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatAttr, intAttr, intsAttr, makeModel, makeNode, tensorValueInfo } from '../../src/onnx/graph.js';
import { formatSummary, inspectModel } from '../../src/onnx/inspect.js';
import { decodeModel, encodeModel, OnnxFormatError, type ModelProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { torchFlatten } from '../support/torch-flatten.js';

const MUTANTS = 6000;
const STRUCTURAL_MUTANTS = 6000;

/** A small CNN feeding an MLP head, with int64 shape tensors, a Constant node and metadata. */
function baseModel(): ModelProto {
  const w = (name: string, dims: number[]) => float32Tensor(name, dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(i)));
  return makeModel({
    graph: {
      name: 'fuzz-base',
      node: [
        makeNode('Conv', ['obs', 'c.w', 'c.b'], ['c'], 'conv', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [2, 2])]),
        makeNode('Relu', ['c'], ['r'], 'relu'),
        makeNode('MaxPool', ['r'], ['p'], 'pool', [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [1, 1])]),
        ...torchFlatten('p', 'flat'),
        makeNode('Gemm', ['flat', 'fc.w', 'fc.b'], ['h'], 'fc', [intAttr('transB', 1), floatAttr('alpha', 1)]),
        makeNode('LeakyRelu', ['h'], ['a'], 'act', [floatAttr('alpha', 0.01)]),
        makeNode('MatMul', ['a', 'out.w'], ['m'], 'out'),
        makeNode('Add', ['m', 'out.b'], ['q_values'], 'bias'),
      ],
      initializer: [
        w('c.w', [2, 1, 3, 3]),
        w('c.b', [2]),
        int64Tensor('zero', [], [0]),
        int64Tensor('axes', [1], [0]),
        w('fc.w', [6, 8]),
        w('fc.b', [6]),
        w('out.w', [6, 3]),
        { name: 'out.b', dims: [3], dataType: DataType.FLOAT, floatData: [0.5, -0.5, 0.25] },
      ],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 1, 5, 5])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 3])],
    },
    producerVersion: '0.1.0',
    metadata: { 'qdistill.env': 'MinAtar/Breakout', 'qdistill.output': 'q_values', 'qdistill.card': '{"seed":7}' },
  });
}

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

const LARGE = [2n ** 31n, 2n ** 32n - 1n, 2n ** 35n, 2n ** 53n + 1n, 2n ** 62n, -1n, 1n << 28n, 0x7fffffffn];

/** Where the varints (values and length prefixes) of a protobuf message sit, found by walking its wire format. */
function varintPositions(bytes: readonly number[], start = 0, end = bytes.length, depth = 0, out: [number, number][] = []): [number, number][] {
  const readVarint = (at: number): [bigint, number] | undefined => {
    let value = 0n;
    for (let i = 0; i < 10 && at + i < end; i++) {
      value |= BigInt(bytes[at + i] & 0x7f) << BigInt(7 * i);
      if (bytes[at + i] < 0x80) return [value, i + 1];
    }
    return undefined;
  };
  let at = start;
  while (at < end) {
    const tag = readVarint(at);
    if (!tag) return out;
    at += tag[1];
    const wire = Number(tag[0] & 7n);
    if (wire === 0 || wire === 2) {
      const v = readVarint(at);
      if (!v) return out;
      out.push([at, v[1]]);
      at += v[1];
      if (wire === 2) {
        const length = Number(v[0]);
        if (at + length > end) return out;
        if (depth < 12) varintPositions(bytes, at, at + length, depth + 1, out);
        at += length;
      }
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else return out;
  }
  return out;
}

type Mutation = (bytes: number[], random: () => number) => string;
const pick = (random: () => number, n: number) => Math.floor(random() * n);

const MUTATIONS: Mutation[] = [
  (b, r) => {
    const at = pick(r, b.length);
    b[at] ^= 1 << pick(r, 8);
    return 'flip a bit';
  },
  (b, r) => {
    const at = pick(r, b.length);
    for (let i = 0; i < 1 + pick(r, 8) && at + i < b.length; i++) b[at + i] = pick(r, 256);
    return 'overwrite bytes';
  },
  (b, r) => {
    b.length = pick(r, b.length);
    return 'truncate';
  },
  (b, r) => {
    b.splice(pick(r, b.length), 1 + pick(r, 32));
    return 'delete a range';
  },
  (b, r) => {
    const from = pick(r, b.length);
    const chunk = b.slice(from, from + 1 + pick(r, 64));
    b.splice(pick(r, b.length + 1), 0, ...chunk);
    return 'duplicate a range';
  },
  (b, r) => {
    b.splice(pick(r, b.length + 1), 0, ...Array.from({ length: 1 + pick(r, 16) }, () => pick(r, 256)));
    return 'insert random bytes';
  },
  (b, r) => {
    // A large varint over whatever was there: lengths, dims, counts and versions all become huge.
    const bytes = varint(LARGE[pick(r, LARGE.length)]);
    const at = pick(r, b.length);
    b.splice(at, r() < 0.5 ? bytes.length : 1, ...bytes);
    return 'overwrite bytes with a large varint';
  },
  (b, r) => {
    // The same, aimed at a real varint: a value or a length prefix somewhere in the tree.
    const positions = varintPositions(b);
    if (positions.length === 0) return 'no varint found';
    const [at, length] = positions[pick(r, positions.length)];
    const value = r() < 0.5 ? LARGE[pick(r, LARGE.length)] : BigInt(pick(r, 300)) - 20n;
    b.splice(at, length, ...varint(value));
    return 'replace a varint';
  },
];

test(`${MUTANTS} mutated models each end as a valid model or an OnnxFormatError, nothing else`, { timeout: 120_000 }, (t) => {
  const base = Array.from(encodeModel(baseModel()));
  const random = prng(20240601);
  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  let valid = 0;
  let rejected = 0;
  let peakHeap = 0;
  for (let i = 0; i < MUTANTS; i++) {
    if (i % 250 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const bytes = [...base];
    const applied: string[] = [];
    for (let k = 0, n = 1 + pick(random, 3); k < n && bytes.length > 0; k++) applied.push(MUTATIONS[pick(random, MUTATIONS.length)](bytes, random));
    const input = Uint8Array.from(bytes);
    let model: ModelProto;
    try {
      model = decodeModel(input, 'mutant');
    } catch (error) {
      if (!(error instanceof OnnxFormatError)) {
        assert.fail(`mutant #${i} (${applied.join(', ')}) threw ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)}`);
      }
      assert.ok(!error.message.includes('\n'), `mutant #${i}: a message of more than one line: ${error.message}`);
      rejected++;
      count(error.message.replace(/ \(mutant\)$/, '').replace(/'[^']*'/g, "'…'").replace(/-?\d[\d.e+]*/g, 'N').slice(0, 70));
      continue;
    }
    // A model that passed validation must be fully usable: summarised, printed, encoded and read back the same.
    formatSummary(inspectModel(model));
    assert.deepEqual(decodeModel(encodeModel(model), 'again'), model);
    valid++;
  }
  const common = [...outcomes].sort((a, b) => b[1] - a[1]).slice(0, 12);
  t.diagnostic(`valid models: ${valid}; OnnxFormatError: ${rejected}; peak heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB`);
  for (const [message, n] of common) t.diagnostic(`  ${n} × ${message}`);
  assert.equal(valid + rejected, MUTANTS);
  assert.ok(valid > 0 && rejected > 0, 'the mutations should produce both outcomes');
  assert.ok(peakHeap < 1024 * 2 ** 20, `heap grew to ${(peakHeap / 2 ** 20).toFixed(0)} MiB`);
});

const ODD_INTS = [0, 1, 2, 3, 7, -1, -2, 64, 2 ** 20, 2 ** 40, Number.MAX_SAFE_INTEGER];
const OPS = ['Gemm', 'MatMul', 'Conv', 'MaxPool', 'AveragePool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Shape', 'Gather', 'Slice', 'ReduceMean', 'ArgMax', 'Pad', 'ConstantOfShape', 'GlobalAveragePool', 'Add', 'Identity', 'QLinearMatMul', 'Softmax'];

/** Edits of the decoded model that keep the protobuf intact, so they reach validation and shape inference. */
const EDITS: ((m: ModelProto, r: () => number) => string)[] = [
  (m, r) => {
    const t = m.graph!.initializer[pick(r, m.graph!.initializer.length)];
    if (t.dims.length) t.dims[pick(r, t.dims.length)] = ODD_INTS[pick(r, ODD_INTS.length)];
    else t.dims.push(ODD_INTS[pick(r, ODD_INTS.length)]);
    return 'initializer dims';
  },
  (m, r) => {
    const dims = m.graph!.input[0].type!.tensorType!.shape!.dim;
    if (r() < 0.3) dims.splice(pick(r, dims.length + 1), r() < 0.5 ? 1 : 0, { dimValue: ODD_INTS[pick(r, 8)] });
    else dims[pick(r, dims.length)] = r() < 0.2 ? {} : { dimValue: ODD_INTS[pick(r, ODD_INTS.length)] };
    return 'input shape';
  },
  (m, r) => {
    const node = m.graph!.node[pick(r, m.graph!.node.length)];
    const a = node.attribute[pick(r, node.attribute.length)];
    if (!a) return 'no attribute';
    if (a.ints) a.ints = Array.from({ length: pick(r, 6) }, () => ODD_INTS[pick(r, ODD_INTS.length)]);
    else if (a.i !== undefined) a.i = ODD_INTS[pick(r, ODD_INTS.length)];
    return 'attribute value';
  },
  (m, r) => {
    const node = m.graph!.node[pick(r, m.graph!.node.length)];
    node.opType = OPS[pick(r, OPS.length)];
    return 'operator';
  },
  (m, r) => {
    const nodes = m.graph!.node;
    const node = nodes[pick(r, nodes.length)];
    const names = [...nodes.flatMap((n) => n.output), ...m.graph!.initializer.map((t) => t.name!), 'obs', ''];
    node.input[pick(r, node.input.length + 1)] = names[pick(r, names.length)];
    return 'node input';
  },
  (m, r) => {
    const nodes = m.graph!.node;
    const node = nodes[pick(r, nodes.length)];
    node.attribute.push([intAttr('axis', ODD_INTS[pick(r, 6)] - 1), intsAttr('perm', [1, 0, 3, 2]), intsAttr('axes', [pick(r, 4) - 2]), intsAttr('kernel_shape', [2, 2]), intAttr('keepdims', 0)][pick(r, 5)]);
    return 'extra attribute';
  },
  (m, r) => {
    const t = m.graph!.initializer.find((x) => x.dataType === DataType.INT64)!;
    const n = pick(r, 4);
    Object.assign(t, int64Tensor(t.name!, [n], Array.from({ length: n }, () => ODD_INTS[pick(r, ODD_INTS.length)] * (r() < 0.3 ? -1 : 1))));
    return 'int64 values';
  },
];

test(`${STRUCTURAL_MUTANTS} edited graphs (dims, attributes, operators, wiring) also end valid or as an OnnxFormatError`, { timeout: 120_000 }, (t) => {
  const base = encodeModel(baseModel());
  const random = prng(7);
  let valid = 0;
  let rejected = 0;
  let knownMacs = 0;
  for (let i = 0; i < STRUCTURAL_MUTANTS; i++) {
    const model = decodeModel(base, 'base');
    const applied: string[] = [];
    for (let k = 0, n = 1 + pick(random, 3); k < n; k++) applied.push(EDITS[pick(random, EDITS.length)](model, random));
    let decoded: ModelProto;
    try {
      decoded = decodeModel(encodeModel(model), 'mutant');
    } catch (error) {
      if (!(error instanceof OnnxFormatError)) {
        assert.fail(`edit #${i} (${applied.join(', ')}) threw ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)}`);
      }
      rejected++;
      continue;
    }
    const summary = inspectModel(decoded);
    formatSummary(summary);
    if (summary.macs !== null) knownMacs++;
    valid++;
  }
  t.diagnostic(`valid models: ${valid} (MACs known for ${knownMacs}); OnnxFormatError: ${rejected}`);
  assert.equal(valid + rejected, STRUCTURAL_MUTANTS);
  assert.ok(valid > 0 && rejected > 0);
});
