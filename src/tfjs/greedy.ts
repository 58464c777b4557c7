// argmax_a Q(s, a) for one observation with a tfjs model. The result is read asynchronously: the webgpu
// backend cannot read synchronously in Node (that needs OffscreenCanvas), and cpu/wasm do not mind.
import * as tf from '@tensorflow/tfjs';

/** argmax_a Q(s, a) for `count` observations laid out one after another. */
export async function greedyActions(model: tf.LayersModel, observations: Float32Array, count: number, shape: number[]): Promise<ArrayLike<number>> {
  const best = tf.tidy(() => (model.predict(tf.tensor(observations, [count, ...shape])) as tf.Tensor).argMax(1));
  const actions = await best.data();
  best.dispose();
  return actions;
}

export async function greedyAction(model: tf.LayersModel, observation: Float32Array, shape: number[]): Promise<number> {
  const best = tf.tidy(() => (model.predict(tf.tensor(observation, [1, ...shape])) as tf.Tensor).argMax(1));
  const [action] = await best.data();
  best.dispose();
  return action;
}
