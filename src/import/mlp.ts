// A state dict's MLP Q-network: its Linear layers (weight [out, in], bias [out]) in file order, checked to
// chain, and the ONNX policy graph for it: obs → (Mul 1/255) → (a features extractor, or Flatten) →
// Gemm(transB=1) → act → … → Gemm → (QR-DQN: the mean over quantiles) → q_values.
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

/** Parameters of the Linear layers (weights and biases). */
export function parameterCount(layers: LinearLayer[]): number {
  return layers.reduce((a, l) => a + l.weight.length + l.bias.length, 0);
}

/** The nodes of a features extractor: from the input tensor's name to `output` [batch, features]. */
export type FeatureNodes = (input: string) => { nodes: NodeProto[]; initializers: TensorProto[]; output: string };

/** What the policy file takes and gives: observations of `observationShape` (per row) and `actionCount` Q-values. */
export interface PolicyIo {
  observationShape: readonly number[];
  actionCount: number;
}

/** Options of mlpPolicyModel(). */
export interface MlpGraphOptions {
  activation: Activation;
  /**
   * Quantiles per action (QR-DQN): the last layer gives quantiles × actions, laid out as sb3-contrib's
   * `view(-1, n_quantiles, n_actions)` reads them, and Q is the mean over the quantiles.
   */
  quantiles?: number;
  /** Multiply observations by this first (SB3's image normalization: 1/255). */
  inputScale?: number;
  /** A features extractor before the MLP (e.g. NatureCNN); without one, observations of rank > 1 are flattened. */
  features?: FeatureNodes;
  opset?: number;
  metadata: Record<string, string>;
  producerVersion: string;
  name: string;
}

/** The ONNX policy for `layers` (after `o.features`): input 'obs' [batch, …observationShape], output 'q_values' [batch, actions]. */
export function mlpPolicyModel(layers: LinearLayer[], spec: PolicyIo, o: MlpGraphOptions): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let x = 'obs';
  if (o.inputScale !== undefined) {
    initializers.push(float32Tensor('input_scale', [1], [o.inputScale]));
    nodes.push(makeNode('Mul', [x, 'input_scale'], ['obs_scaled'], 'scale'));
    x = 'obs_scaled';
  }
  if (o.features) {
    const features = o.features(x);
    nodes.push(...features.nodes);
    initializers.push(...features.initializers);
    x = features.output;
  } else if (spec.observationShape.length > 1) {
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
    // [batch, quantiles × actions] → [batch, quantiles, actions] (quantile-major, as sb3-contrib views it) → mean over axis 1.
    initializers.push(int64Tensor('quantile_shape', [3], [0, o.quantiles, spec.actionCount]));
    nodes.push(makeNode('Reshape', [x, 'quantile_shape'], ['quantiles'], 'quantiles'));
    // ReduceMean takes its axes as an input from opset 18, as an attribute before.
    if (opset >= 18) {
      initializers.push(int64Tensor('quantile_axes', [1], [1]));
      nodes.push(makeNode('ReduceMean', ['quantiles', 'quantile_axes'], ['q_values'], 'mean', [intAttr('keepdims', 0)]));
    } else {
      nodes.push(makeNode('ReduceMean', ['quantiles'], ['q_values'], 'mean', [intAttr('keepdims', 0), intsAttr('axes', [1])]));
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
