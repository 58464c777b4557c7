// Distillation losses (Rusu et al. 2016, "Policy Distillation"): the student's outputs against the teacher's
// Q-values for the same states. All return the batch mean.
import * as tf from '@tensorflow/tfjs';

/** KL(softmax(q_teacher/τ) ‖ softmax(q_student)): the teacher's Q-values sharpened by a low temperature. */
export function klLoss(teacherQ: tf.Tensor2D, studentOut: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const teacherLogP = tf.logSoftmax(tf.div(teacherQ, temperature));
    const studentLogP = tf.logSoftmax(studentOut);
    return tf.mean(tf.sum(tf.mul(tf.exp(teacherLogP), tf.sub(teacherLogP, studentLogP)), 1)) as tf.Scalar;
  });
}

/** Mean squared error between Q-values. */
export function mseLoss(teacherQ: tf.Tensor2D, studentOut: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(studentOut, teacherQ))) as tf.Scalar);
}

/** Cross-entropy of the student's softmax on the teacher's greedy action (or a demonstrated action). */
export function nllLoss(actions: tf.Tensor1D, studentOut: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(studentOut);
    return tf.neg(tf.mean(tf.sum(tf.mul(logP, tf.oneHot(actions, studentOut.shape[1])), 1))) as tf.Scalar;
  });
}

/** Huber TD loss of the student as a Q-function on stored transitions, targets from its frozen copy. */
export function tdLossOnTransitions(
  studentOut: tf.Tensor2D,
  actions: tf.Tensor1D,
  rewards: tf.Tensor1D,
  terminals: tf.Tensor1D,
  nextQTarget: tf.Tensor2D,
  gamma: number,
): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.add(rewards, tf.mul(gamma, tf.mul(tf.sub(1, terminals), tf.max(nextQTarget, 1))));
    const taken = tf.sum(tf.mul(studentOut, tf.oneHot(actions, studentOut.shape[1])), 1);
    return tf.losses.huberLoss(target, taken) as tf.Scalar;
  });
}
