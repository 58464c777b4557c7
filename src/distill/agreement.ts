// How often the student picks the teacher's action, on states the teacher visits that training never saw.
import type * as tf from '@tensorflow/tfjs';
import * as tfjs from '@tensorflow/tfjs';
import { makeEnv } from '../envs/registry.js';
import { Rng } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { argmax, type Policy } from '../infer/policy.js';
import { collectSteps } from './collect.js';
import { DistillMemory } from './memory.js';

export async function heldOutAgreement(teacher: Policy, student: tf.LayersModel, states: number, seed: number): Promise<number> {
  const env = makeEnv(teacher.spec.id);
  const memory = new DistillMemory(states, observationSize(env.spec), env.spec.actionCount);
  const rng = new Rng(seed);
  await collectSteps({ env, teacher, studentAct: () => 0, rng, seed, episodes: 0, observation: null }, memory, states, 1);
  const observations = memory.transitions.observations;
  const out = tfjs.tidy(() => (student.predict(tfjs.tensor(observations, [states, ...env.spec.observationShape])) as tf.Tensor).dataSync() as Float32Array);
  const a = env.spec.actionCount;
  let same = 0;
  for (let i = 0; i < states; i++) if (argmax(out, i * a, a) === argmax(memory.targets, i * a, a)) same++;
  return same / states;
}
