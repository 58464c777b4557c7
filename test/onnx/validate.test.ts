import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatAttr, intAttr, intsAttr, makeModel, makeNode, tensorAttr, tensorValueInfo } from '../../src/onnx/graph.js';
import { decodeModel, encodeModel, OnnxFormatError, type ModelProto, type TensorProto } from '../../src/onnx/model.js';
import { DataType, float32Tensor } from '../../src/onnx/tensor.js';
import { VALIDATED_OPS } from '../../src/onnx/ops.js';
import { validateModel } from '../../src/onnx/validate.js';
import { UsageError } from '../../src/util/errors.js';

const WHERE = 'bad.onnx';

function mlp(): ModelProto {
  return makeModel({
    graph: {
      node: [
        makeNode('Gemm', ['obs', 'w1', 'b1'], ['h1'], 'fc1', [intAttr('transB', 1)]),
        makeNode('Relu', ['h1'], ['a1'], 'relu1'),
        makeNode('Gemm', ['a1', 'w2'], ['q_values'], 'fc2'),
      ],
      initializer: [float32Tensor('w1', [8, 4], new Float32Array(32).fill(0.5)), float32Tensor('b1', [8], new Float32Array(8)), float32Tensor('w2', [8, 2], new Float32Array(16))],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 2])],
    },
    metadata: { 'qdistill.env': 'CartPole-v1' },
  });
}

function cnn(): ModelProto {
  return makeModel({
    graph: {
      node: [
        makeNode('Conv', ['obs', 'cw'], ['c'], 'conv', [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [2, 2])]),
        makeNode('Flatten', ['c'], ['f'], 'flatten', [intAttr('axis', 1)]),
        makeNode('Gemm', ['f', 'fw'], ['q_values'], 'fc'),
      ],
      initializer: [float32Tensor('cw', [2, 1, 3, 3], new Float32Array(18)), float32Tensor('fw', [8, 3], new Float32Array(24))],
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', 1, 4, 4])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', 3])],
    },
  });
}

/** The bytes (or model) must be refused with exactly this one line. */
function rejects(input: Uint8Array | ModelProto, expected: string | RegExp): void {
  const bytes = input instanceof Uint8Array ? input : encodeModel(input);
  assert.throws(
    () => decodeModel(bytes, WHERE),
    (e: unknown) => {
      assert.ok(e instanceof OnnxFormatError, `expected an OnnxFormatError, got ${e}`);
      assert.ok(e instanceof UsageError);
      assert.ok(!e.message.includes('\n'), `more than one line: ${e.message}`);
      assert.ok(e.message.endsWith(` (${WHERE})`), e.message);
      if (typeof expected === 'string') assert.equal(e.message, `${expected} (${WHERE})`);
      else assert.match(e.message, expected);
      return true;
    },
  );
}

test('the models these cases start from are valid', () => {
  assert.doesNotThrow(() => decodeModel(encodeModel(mlp()), WHERE));
  assert.doesNotThrow(() => decodeModel(encodeModel(cnn()), WHERE));
});

test('empty, truncated, random and text files are refused as not ONNX', () => {
  rejects(new Uint8Array(0), 'not an ONNX model: empty file');
  const bytes = encodeModel(mlp());
  rejects(bytes.slice(0, Math.floor(bytes.length / 2)), 'not an ONNX model: truncated protobuf');
  rejects(bytes.slice(0, bytes.length - 1), 'not an ONNX model: truncated protobuf');
  for (let cut = 1; cut < bytes.length; cut += 7) rejects(bytes.slice(0, cut), /./);
  let state = 12345;
  for (let seed = 0; seed < 20; seed++) {
    const random = Uint8Array.from({ length: 2048 }, () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24));
    rejects(random, /./);
  }
  rejects(new TextEncoder().encode('hello, this is a text file\n'), /^not an ONNX model: /);
  rejects(new TextEncoder().encode('{"json": true}'), /^not an ONNX model: /);
});

test('a protobuf nested deeper than any model is refused, not a stack overflow', () => {
  const field = (number: number, payload: Uint8Array) => {
    const header: number[] = [(number << 3) | 2];
    for (let n = payload.length; ; n >>>= 7) {
      if (n < 0x80) {
        header.push(n);
        break;
      }
      header.push((n & 0x7f) | 0x80);
    }
    return new Uint8Array([...header, ...payload]);
  };
  let graph = new Uint8Array();
  for (let depth = 0; depth < 60; depth++) graph = field(1, field(5, field(6, graph))); // graph.node.attribute.g
  rejects(field(7, graph), 'not an ONNX model: protobuf nested too deeply');
});

test('an int64 beyond ±2^53 is refused', () => {
  const model = mlp();
  model.irVersion = 2 ** 60;
  rejects(model, /ModelProto\.irVersion holds 1\.153e\+18, beyond ±2\^53/);
  const dims = mlp();
  dims.graph!.initializer[0].dims = [-(2 ** 62), 1];
  rejects(dims, /TensorProto\.dims holds -4\.612e\+18, beyond ±2\^53/);
});

test('versions and opsets', () => {
  rejects({ ...mlp(), irVersion: undefined }, 'model has no ir_version');
  rejects({ ...mlp(), irVersion: 2 }, 'model has IR version 2; qdistill reads IR version 3 and later');
  rejects({ ...mlp(), opsetImport: [{ domain: 'com.microsoft', version: 1 }] }, 'model imports no opset for the default ONNX domain');
  rejects({ ...mlp(), opsetImport: [{ domain: '', version: 13 }, { domain: 'ai.onnx', version: 17 }] }, "opset_import lists domain 'ai.onnx' twice");
  rejects({ ...mlp(), graph: undefined }, 'model has no graph');
  rejects({ opsetImport: [], producerName: 'someone' }, 'not an ONNX model: no ir_version, opset_import or graph');
});

test('a cycle is named by a node on it', () => {
  const model = mlp();
  model.graph!.node = [
    makeNode('Gemm', ['obs', 'w1', 'b1'], ['h1'], 'fc1'),
    makeNode('Add', ['h1', 'loop'], ['s'], 'add'),
    makeNode('Relu', ['s'], ['loop'], 'relu'),
    makeNode('Gemm', ['loop', 'w2'], ['q_values'], 'fc2'),
  ];
  rejects(model, "graph has a cycle through node 'add'");
  const self = mlp();
  self.graph!.node[1] = makeNode('Add', ['h1', 'a1'], ['a1'], 'self');
  rejects(self, "graph has a cycle through node 'self'");
});

test('dangling inputs, unproduced outputs, duplicate names and node order', () => {
  const dangling = mlp();
  dangling.graph!.node[0].input[2] = 'foo';
  rejects(dangling, "node 'fc1' (Gemm) reads 'foo', which no node, input or initializer produces");

  const optional = mlp();
  optional.graph!.node[2].input.push(''); // an absent optional input is fine
  assert.doesNotThrow(() => decodeModel(encodeModel(optional), WHERE));

  const unnamed = mlp();
  delete unnamed.graph!.node[1].name;
  unnamed.graph!.node[1].input[0] = 'nothing';
  rejects(unnamed, "node #1 (Relu) reads 'nothing', which no node, input or initializer produces");

  const output = mlp();
  output.graph!.output.push(tensorValueInfo('extra', DataType.FLOAT, ['batch', 2]));
  rejects(output, "graph output 'extra' is not produced by any node, input or initializer");

  const twice = mlp();
  twice.graph!.node[1].output[0] = 'h1';
  rejects(twice, "'h1' is written by two nodes, 'fc1' and 'relu1'");

  const overwrite = mlp();
  overwrite.graph!.node[1].output[0] = 'w2';
  rejects(overwrite, "node 'relu1' (Relu) writes 'w2', which is an initializer");

  const initializers = mlp();
  initializers.graph!.initializer[1].name = 'w1';
  rejects(initializers, "two initializers are named 'w1'");

  const inputs = mlp();
  inputs.graph!.input.push(tensorValueInfo('obs', DataType.FLOAT, [1, 4]));
  rejects(inputs, "graph input 'obs' is listed twice");

  const order = mlp();
  order.graph!.node.reverse();
  rejects(order, "node 'fc2' (Gemm) reads 'a1' before node 'relu1' writes it; nodes must be in topological order");

  const noInputs = mlp();
  noInputs.graph!.input = [];
  rejects(noInputs, 'graph has no inputs');
  const noOutputs = mlp();
  noOutputs.graph!.output = [];
  rejects(noOutputs, 'graph has no outputs');

  const sequence = mlp();
  sequence.graph!.input[0].type = { sequenceType: new Uint8Array([10, 0]) };
  rejects(sequence, "graph input 'obs' is not a tensor (sequence, map and optional values are not supported)");
});

test('operators outside VALIDATED_OPS or outside the default domain are refused', () => {
  assert.ok(VALIDATED_OPS.has('Gemm') && VALIDATED_OPS.has('QLinearConv') && !VALIDATED_OPS.has('Loop'));
  const unknown = mlp();
  unknown.graph!.node[1].opType = 'Foo';
  unknown.graph!.node[1].name = 'n';
  rejects(unknown, "unsupported operator 'Foo' (node 'n')");
  const domain = mlp();
  domain.graph!.node[0].domain = 'com.microsoft';
  domain.graph!.node[0].opType = 'FusedGemm';
  rejects(domain, "unsupported operator 'com.microsoft.FusedGemm' (node 'fc1')");
  const explicitDomain = mlp();
  explicitDomain.graph!.node[0].domain = 'ai.onnx';
  assert.doesNotThrow(() => decodeModel(encodeModel(explicitDomain), WHERE));
});

test('initializer data must match dims and data type', () => {
  const replace = (t: TensorProto) => {
    const model = mlp();
    model.graph!.initializer[0] = t;
    return model;
  };
  rejects(replace({ ...float32Tensor('w1', [10], new Float32Array(10)), dims: [3, 4] }), "initializer 'w1' declares dims [3,4] (12 elements) but holds 10");
  rejects(replace({ name: 'w1', dims: [3, 4], dataType: DataType.FLOAT, floatData: new Array(10).fill(1) }), "initializer 'w1' declares dims [3,4] (12 elements) but holds 10");
  rejects(replace({ name: 'w1', dims: [3, 4], dataType: DataType.FLOAT, rawData: new Uint8Array(47) }), "initializer 'w1' declares dims [3,4] (12 elements) but holds 47 bytes of raw_data");
  rejects(replace({ name: 'w1', dims: [3, 4], dataType: DataType.FLOAT }), "initializer 'w1' declares dims [3,4] (12 elements) but holds 0");
  rejects(replace({ name: 'w1', dims: [2], dataType: DataType.FLOAT, int64Data: [1, 2] }), "initializer 'w1' (FLOAT) stores values in int64_data, which is for other data types");
  rejects(replace({ name: 'w1', dims: [2], dataType: DataType.FLOAT, floatData: [1, 2], rawData: new Uint8Array(8) }), "initializer 'w1' stores values in both raw_data and float_data");
  rejects(replace({ name: 'w1', dims: [2], dataType: 99, rawData: new Uint8Array(8) }), "initializer 'w1' has unknown data type 99");
  rejects(replace({ name: 'w1', dims: [2], rawData: new Uint8Array(8) }), "initializer 'w1' has no data_type");
  rejects(replace({ name: 'w1', dims: [-1], dataType: DataType.FLOAT }), "initializer 'w1' has a negative dimension in [-1]");
  // Huge declared sizes are reported without allocating anything.
  rejects(replace({ ...float32Tensor('w1', [10], new Float32Array(10)), dims: [100000, 100000, 100000, 100000] }), "initializer 'w1' declares dims [100000,100000,100000,100000] (more than 2^53 elements) but holds 10");
  rejects(replace({ name: 'w1', dims: [2 ** 30, 2 ** 20], dataType: DataType.DOUBLE }), "initializer 'w1' declares dims [1073741824,1048576] (1125899906842624 elements) but holds 0");
  // Smaller element types are counted in their own units.
  const int8 = { name: 'w1', dims: [8, 4], dataType: DataType.INT8, int32Data: Array.from({ length: 32 }, (_, i) => (i % 5) - 2) };
  assert.doesNotThrow(() => validateModel(replace(int8)));
});

test('external data, segments and sparse initializers are refused with a clear message', () => {
  const external = mlp();
  const w = external.graph!.initializer[0];
  delete w.rawData;
  w.dataLocation = 1;
  w.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }];
  rejects(external, "initializer 'w1' keeps its data in an external file; qdistill reads self-contained models only (save without external data)");
  const segment = mlp();
  segment.graph!.initializer[0].segment = new Uint8Array([8, 0, 16, 4]);
  rejects(segment, "initializer 'w1' is a segment of a larger tensor, which qdistill does not read");
  const sparse = mlp();
  sparse.graph!.sparseInitializer = [new Uint8Array([26, 0])];
  rejects(sparse, 'graph has sparse initializers, which qdistill does not read');
});

test('attributes: types, Gemm flags, Conv and pooling windows, Constant values, arity', () => {
  const transA = mlp();
  transA.graph!.node[0].attribute.push(floatAttr('transA', 1));
  rejects(transA, "node 'fc1' (Gemm): attribute 'transA' should be INT, not FLOAT");
  const transB = mlp();
  transB.graph!.node[0].attribute = [intAttr('transB', 2)];
  rejects(transB, "node 'fc1' (Gemm): transB must be 0 or 1, not 2");
  const twice = mlp();
  twice.graph!.node[0].attribute.push(intAttr('transB', 0));
  rejects(twice, "node 'fc1' (Gemm) has two attributes named 'transB'");
  const arity = mlp();
  arity.graph!.node[0].input = ['obs'];
  rejects(arity, "node 'fc1' (Gemm) has 1 input; Gemm takes 2 to 3");

  const withConv = (attributes: ReturnType<typeof intAttr>[]) => {
    const model = cnn();
    model.graph!.node[0].attribute = attributes;
    return model;
  };
  rejects(withConv([intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1])]), "node 'conv' (Conv): pads has 2 values, expected 4 for 2 spatial axes");
  rejects(withConv([intsAttr('strides', [1, 1, 1])]), "node 'conv' (Conv): strides has 3 values, expected 2 for 2 spatial axes");
  rejects(withConv([intAttr('strides', 2)]), "node 'conv' (Conv): attribute 'strides' should be INTS, not INT");
  rejects(withConv([intsAttr('kernel_shape', [5, 5])]), "node 'conv' (Conv): kernel_shape [5,5] does not match weight dims [2,1,3,3]");
  rejects(withConv([intsAttr('strides', [0, 1])]), "node 'conv' (Conv): strides [0,1] has a value below 1");
  rejects(withConv([intsAttr('pads', [0, -1, 0, 0])]), "node 'conv' (Conv): pads [0,-1,0,0] has a negative value");

  const pool = cnn();
  pool.graph!.node.splice(1, 0, makeNode('MaxPool', ['c'], ['p'], 'pool', [intsAttr('strides', [1, 1])]));
  pool.graph!.node[2].input[0] = 'p';
  rejects(pool, "node 'pool' (MaxPool) has no kernel_shape");

  const constant = mlp();
  constant.graph!.node.unshift(makeNode('Constant', [], ['k'], 'k', [tensorAttr('value', { ...float32Tensor('k', [2], [1, 2]), dims: [3] })]));
  rejects(constant, "node 'k' (Constant): attribute 'value' declares dims [3] (3 elements) but holds 2");
  const twoValues = mlp();
  twoValues.graph!.node.unshift(makeNode('Constant', [], ['k'], 'k', [floatAttr('value_float', 1), intAttr('value_int', 1)]));
  rejects(twoValues, "node 'k' (Constant) must have exactly one value attribute, not 2");
});

test('validateModel on an object: the same checks, no location suffix', () => {
  const model = mlp();
  model.graph!.node[1].opType = 'Foo';
  assert.throws(() => validateModel(model), (e: Error) => e instanceof OnnxFormatError && e.message === "unsupported operator 'Foo' (node 'relu1')");
});

test('an op newer than the opset the model imports is refused, naming the opset that defines it', () => {
  const m = mlp();
  m.opsetImport = [{ domain: '', version: 13 }];
  m.graph!.node.splice(1, 0, makeNode('LayerNormalization', ['h1', 'g'], ['n1'], 'ln'));
  m.graph!.node[2].input[0] = 'n1';
  m.graph!.initializer.push(float32Tensor('g', [8], new Float32Array(8).fill(1)));
  rejects(m, /LayerNormalization exists from opset 17, but the model imports opset 13 \(export with opset_version=17 or later\)/);
  m.opsetImport = [{ domain: '', version: 17 }];
  assert.doesNotThrow(() => decodeModel(encodeModel(m), WHERE));
});

test('BatchNormalization in training mode (batch statistics) is refused with what to do', () => {
  const m = mlp();
  m.opsetImport = [{ domain: '', version: 15 }];
  const stats = ['scale', 'bias', 'mean', 'var'].map((n) => float32Tensor(n, [8], new Float32Array(8).fill(1)));
  m.graph!.initializer.push(...stats);
  m.graph!.node.splice(1, 0, makeNode('BatchNormalization', ['h1', 'scale', 'bias', 'mean', 'var'], ['n1'], 'bn', [intAttr('training_mode', 1)]));
  m.graph!.node[2].input[0] = 'n1';
  rejects(m, /BatchNormalization.* is in training mode \(batch statistics\); call model\.eval\(\) before torch\.onnx\.export/);
  m.graph!.node[1].attribute = [];
  assert.doesNotThrow(() => decodeModel(encodeModel(m), WHERE));
});
