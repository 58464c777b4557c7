// Q-network builders: MLP, dueling MLP and MinAtar's small CNN, as tfjs LayersModels (the ONNX exporter
// walks these layers, so only standard layers plus the DuelingCombine below are used).
import * as tf from '@tensorflow/tfjs';
import type { EnvSpec } from '../envs/types.js';

export interface NetworkConfig {
  /** Hidden layer sizes of the MLP, or of the dense part after the conv layer. */
  hidden: number[];
  dueling: boolean;
  /** MinAtar network: one 3×3 conv with this many filters (stride 1, valid padding) before the dense part. */
  convFilters?: number;
}

/** Q = V + A − mean(A): the dueling head of Wang et al. 2016. Inputs: [value (batch,1), advantage (batch,n)]. */
export class DuelingCombine extends tf.layers.Layer {
  static className = 'DuelingCombine';

  override computeOutputShape(inputShape: tf.Shape[]): tf.Shape {
    return inputShape[1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [value, advantage] = inputs as tf.Tensor[];
      return tf.add(value, tf.sub(advantage, tf.mean(advantage, 1, true)));
    });
  }
}
tf.serialization.registerClass(DuelingCombine);

export function buildQNetwork(spec: EnvSpec, config: NetworkConfig, seed: number): tf.LayersModel {
  let seedCounter = seed;
  const init = () => tf.initializers.glorotUniform({ seed: seedCounter++ });
  const input = tf.input({ shape: spec.observationShape, name: 'obs' });
  let x: tf.SymbolicTensor = input;
  if (config.convFilters) {
    x = tf.layers
      .conv2d({ filters: config.convFilters, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu', kernelInitializer: init(), name: 'conv' })
      .apply(x) as tf.SymbolicTensor;
  }
  if (spec.observationShape.length > 1) x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  config.hidden.forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `hidden_${i}` }).apply(x) as tf.SymbolicTensor;
  });
  let q: tf.SymbolicTensor;
  if (config.dueling) {
    const value = tf.layers.dense({ units: 1, kernelInitializer: init(), name: 'value' }).apply(x) as tf.SymbolicTensor;
    const advantage = tf.layers.dense({ units: spec.actionCount, kernelInitializer: init(), name: 'advantage' }).apply(x) as tf.SymbolicTensor;
    q = new DuelingCombine({ name: 'q_values' }).apply([value, advantage]) as tf.SymbolicTensor;
  } else {
    q = tf.layers.dense({ units: spec.actionCount, kernelInitializer: init(), name: 'q_values' }).apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: q, name: 'q_network' });
}

export function parameterCount(model: tf.LayersModel): number {
  return model.countParams();
}

export function describeNetwork(config: NetworkConfig): string {
  const parts = [...(config.convFilters ? [`conv${config.convFilters}`] : []), ...config.hidden.map(String)];
  return `${parts.join('-')}${config.dueling ? ' dueling' : ''}`;
}

/**
 * Q-networks for several environments with 1-D observations that share their middle: per environment an input
 * layer (its observation size → hidden[0]) and a head (hidden[last] → its actions), and the dense layers
 * hidden[1..] shared by all. Model k's weights are laid out as buildQNetwork's for env k, so they copy into
 * a plain network of that env.
 */
export function buildSharedQNetworks(specs: EnvSpec[], hidden: number[], seed: number): tf.LayersModel[] {
  let seedCounter = seed;
  const init = () => tf.initializers.glorotUniform({ seed: seedCounter++ });
  const inputLayers = specs.map((_, k) => tf.layers.dense({ units: hidden[0], activation: 'relu', kernelInitializer: init(), name: `env${k}_hidden_0` }));
  const trunk = hidden.slice(1).map((units, i) => tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `hidden_${i + 1}` }));
  const heads = specs.map((spec, k) => tf.layers.dense({ units: spec.actionCount, kernelInitializer: init(), name: `env${k}_q_values` }));
  return specs.map((spec, k) => {
    const input = tf.input({ shape: spec.observationShape, name: `env${k}_obs` });
    let x = inputLayers[k].apply(input) as tf.SymbolicTensor;
    for (const layer of trunk) x = layer.apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: heads[k].apply(x) as tf.SymbolicTensor, name: `env${k}_q_network` });
  });
}
