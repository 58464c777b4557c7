// How often the student picks the teacher's action, on states the teacher visits that training never saw.
import * as tf from '@tensorflow/tfjs';
import type { Policy } from '../infer/policy.js';
import { visitedStates } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';

export async function heldOutAgreement(teacher: Policy, student: tf.LayersModel, states: number, seed: number): Promise<number> {
  const { observations, outputs } = await visitedStates(teacher, states, seed);
  const studentOutputs = tf.tidy(() => (student.predict(tf.tensor(observations, [states, ...teacher.spec.observationShape])) as tf.Tensor).dataSync() as Float32Array);
  return actionAgreement(studentOutputs, outputs, teacher.spec.actionCount);
}
