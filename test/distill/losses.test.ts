import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { klLoss, mseLoss, nllLoss, tdLossOnTransitions } from '../../src/distill/losses.js';
import { activateBackend, quietTfjs } from '../../src/tfjs/backends.js';

before(async () => {
  quietTfjs();
  await activateBackend('cpu');
});

const close = (actual: number, expected: number, tol = 1e-5) => assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);

test('KL with temperature: hand-computed from the definition', () => {
  // teacher Q = [1, 2], τ = 1 → p = [1/(1+e), e/(1+e)]; student logits [0, 0] → q = [1/2, 1/2]
  // KL = Σ p log(p/q)
  const p1 = 1 / (1 + Math.E);
  const p2 = Math.E / (1 + Math.E);
  const expected = p1 * Math.log(p1 / 0.5) + p2 * Math.log(p2 / 0.5);
  close(klLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 0]]), 1).dataSync()[0], expected);
  // τ = 0.01 makes the teacher's distribution one-hot on action 1: KL → −log q(1) = log 2 for a uniform student
  close(klLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 0]]), 0.01).dataSync()[0], Math.log(2));
  // identical distributions → 0; averaged over the batch
  close(klLoss(tf.tensor2d([[1, 2], [3, 3]]), tf.tensor2d([[1, 2], [0, 0]]), 1).dataSync()[0], 0);
});

test('MSE on Q-values and NLL on the teacher action: hand-computed', () => {
  close(mseLoss(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor2d([[2, 2], [0, 2]])).dataSync()[0], (1 + 0 + 0 + 4) / 4);
  // student logits [0, ln 3] → softmax [1/4, 3/4]; action 1 → −ln(3/4); action 0 → −ln(1/4)
  const nll = nllLoss(tf.tensor1d([1, 0], 'int32'), tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]])).dataSync()[0];
  close(nll, (-Math.log(0.75) - Math.log(0.25)) / 2);
});

test('TD loss on transitions: Huber on r + γ(1 − terminal) max Q_target(s′) − Q(s, a)', () => {
  // row 0: target 1 + 0.5·3 = 2.5, Q(s,0) = 2 → 0.5·0.25 = 0.125; row 1 terminal: target 1, Q(s,1) = 4 → 3 − 0.5 = 2.5
  const loss = tdLossOnTransitions(tf.tensor2d([[2, 0], [0, 4]]), tf.tensor1d([0, 1], 'int32'), tf.tensor1d([1, 1]), tf.tensor1d([0, 1]), tf.tensor2d([[3, 1], [9, 9]]), 0.5);
  close(loss.dataSync()[0], (0.125 + 2.5) / 2);
});
