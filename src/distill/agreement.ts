// How closely the student follows the teacher on states the teacher visits that training never saw:
// agreement, and for a teacher with Q-values also decisive-state agreement and Q regret (policy/fidelity.ts).
import * as tf from '@tensorflow/tfjs';
import type { Policy } from '../infer/policy.js';
import { visitedStates } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';
import { fidelity, type Fidelity } from '../policy/fidelity.js';

/** The student's fidelity on `states` held-out teacher-visited states; only agreement (the rest null) when `qValues` is false (a teacher that gives actions only). */
export async function heldOutFidelity(teacher: Policy, student: tf.LayersModel, states: number, seed: number, qValues: boolean): Promise<Pick<Fidelity, 'agreement'> & Partial<Fidelity>> {
  const { observations, outputs } = await visitedStates(teacher, states, seed);
  const studentOutputs = tf.tidy(() => (student.predict(tf.tensor(observations, [states, ...teacher.spec.observationShape])) as tf.Tensor).dataSync() as Float32Array);
  if (qValues) return fidelity(studentOutputs, outputs, teacher.spec.actionCount);
  return { agreement: actionAgreement(studentOutputs, outputs, teacher.spec.actionCount) };
}
