// A state dict's MLP Q-network: its Linear layers (weight [out, in], bias [out]) in file order, checked to
// chain, and the ONNX policy graph for it: obs → (Flatten) → Gemm(transB=1) → act → … → Gemm → q_values.
import type { EnvSpec } from '../envs/types.js';
import { intAttr, intsAttr, makeModel, makeNode, tensorValueInfo } from '../onnx/graph.js';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/model.js';
import { DataType, float32Tensor, int64Tensor } from '../onnx/tensor.js';
import { UsageError } from '../util/errors.js';
import type { Tensor } from './torch-checkpoint.js';

/** One Linear layer: weight [out, in] row-major, bias [out]. */
export interface LinearLayer {
  name: string;
  inputs: number;
  outputs: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** The activations between layers the graph can hold (ONNX op names). */
export type Activation = 'Relu' | 'Tanh' | 'Sigmoid' | 'Elu' | 'LeakyRelu';

/** The MLP in a state dict: every tensor whose name starts with `prefix` (all when '') must be a Linear layer's. */
export function linearLayers(tensors: Map<string, Tensor>, prefix: string, where: string): LinearLayer[] {
  const layers: LinearLayer[] = [];
  const biases = new Set<string>();
  for (const [name, t] of tensors) {
    if (!name.startsWith(prefix)) continue;
    if (name.endsWith('.weight') || name === 'weight') {
      const base = name.slice(0, -'weight'.length);
      if (t.shape.length !== 2) {
        throw new UsageError(`tensor '${name}' has shape [${t.shape.join(', ')}]; qdistill imports MLPs of Linear layers only (weights [out, in])`, where);
      }
      const [outputs, inputs] = t.shape;
      const bias = tensors.get(`${base}bias`);
      if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outputs)) throw new UsageError(`tensor '${base}bias' has shape [${bias.shape.join(', ')}], not [${outputs}]`, where);
      if (bias) biases.add(`${base}bias`);
      layers.push({ name: base.replace(/\.$/, '') || 'linear', inputs, outputs, weight: t.data, bias: bias?.data ?? new Float32Array(outputs) });
    }
  }
  for (const name of tensors.keys()) {
    if (name.startsWith(prefix) && !biases.has(name) && !(name.endsWith('.weight') || name === 'weight')) {
      throw new UsageError(`tensor '${name}' belongs to no Linear layer; qdistill imports MLPs of Linear layers only`, where);
    }
  }
  if (layers.length === 0) throw new UsageError(`checkpoint has no Linear layers${prefix ? ` under '${prefix}'` : ''}`, where);
  for (let i = 1; i < layers.length; i++) {
    if (layers[i].inputs !== layers[i - 1].outputs) {
      throw new UsageError(`layer '${layers[i].name}' takes ${layers[i].inputs} inputs but '${layers[i - 1].name}' gives ${layers[i - 1].outputs}; not a chain of Linear layers`, where);
    }
  }
  return layers;
}

/** The layer sizes as cards write them: hidden sizes joined by '-', e.g. '256-256'. */
export function hiddenSizes(layers: LinearLayer[]): string {
  return layers.slice(0, -1).map((l) => l.outputs).join('-') || 'linear';
}

export function parameterCount(layers: LinearLayer[]): number {
  return layers.reduce((a, l) => a + l.weight.length + l.bias.length, 0);
}

export interface MlpGraphOptions {
  activation: Activation;
  /** Quantiles per action (QR-DQN): the last layer gives actions × quantiles and Q is their mean. */
  quantiles?: number;
  opset?: number;
  metadata: Record<string, string>;
  producerVersion: string;
  name: string;
}

/** The ONNX policy for `layers` playing `spec`: input 'obs' [batch, …observationShape], output 'q_values' [batch, actions]. */
export function mlpPolicyModel(layers: LinearLayer[], spec: EnvSpec, o: MlpGraphOptions): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let x = 'obs';
  if (spec.observationShape.length > 1) {
    nodes.push(makeNode('Flatten', [x], ['obs_flat'], 'flatten', [intAttr('axis', 1)]));
    x = 'obs_flat';
  }
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const w = `layer${i}.weight`;
    const b = `layer${i}.bias`;
    initializers.push(float32Tensor(w, [layer.outputs, layer.inputs], layer.weight), float32Tensor(b, [layer.outputs], layer.bias));
    const out = last && !o.quantiles ? 'q_values' : `layer${i}.out`;
    nodes.push(makeNode('Gemm', [x, w, b], [out], `gemm${i}`, [intAttr('transB', 1)]));
    x = out;
    if (!last) {
      const act = `layer${i}.act`;
      nodes.push(makeNode(o.activation, [x], [act], `${o.activation.toLowerCase()}${i}`));
      x = act;
    }
  });
  if (o.quantiles) {
    const opset = o.opset ?? 17;
    initializers.push(int64Tensor('quantile_shape', [3], [0, spec.actionCount, o.quantiles]));
    nodes.push(makeNode('Reshape', [x, 'quantile_shape'], ['quantiles'], 'quantiles'));
    // ReduceMean takes its axes as an input from opset 18, as an attribute before.
    if (opset >= 18) {
      initializers.push(int64Tensor('quantile_axes', [1], [2]));
      nodes.push(makeNode('ReduceMean', ['quantiles', 'quantile_axes'], ['q_values'], 'mean', [intAttr('keepdims', 0)]));
    } else {
      nodes.push(makeNode('ReduceMean', ['quantiles'], ['q_values'], 'mean', [intAttr('keepdims', 0), intsAttr('axes', [2])]));
    }
  }
  return makeModel({
    graph: {
      name: o.name,
      node: nodes,
      initializer: initializers,
      input: [tensorValueInfo('obs', DataType.FLOAT, ['batch', ...spec.observationShape])],
      output: [tensorValueInfo('q_values', DataType.FLOAT, ['batch', spec.actionCount])],
    },
    opset: o.opset ?? 17,
    producerName: 'qdistill',
    producerVersion: o.producerVersion,
    metadata: o.metadata,
  });
}
