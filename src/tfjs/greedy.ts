// argmax_a Q(s, a) for one observation with a tfjs model.
import * as tf from '@tensorflow/tfjs';

export function greedyAction(model: tf.LayersModel, observation: Float32Array, shape: number[]): number {
  return tf.tidy(() => {
    const q = model.predict(tf.tensor(observation, [1, ...shape])) as tf.Tensor;
    return q.argMax(1).dataSync()[0];
  });
}
