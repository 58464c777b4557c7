// Filling the distillation memory: someone plays (the teacher ε-greedily, the student greedily, or a mix
// that hands over from teacher to student — Czarnecki et al. 2019 compare these) and the teacher labels
// every visited state.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize, type Env } from '../envs/types.js';
import { argmax, type Policy } from '../infer/policy.js';
import { DistillMemory } from './memory.js';

export const COLLECTORS = ['teacher', 'student', 'mixed'] as const;
export type CollectMode = (typeof COLLECTORS)[number];
export const TEACHER_EPSILON = 0.05;

export interface Collector {
  env: Env;
  teacher: Policy;
  studentAct: (observation: Float32Array) => number | Promise<number>;
  rng: Rng;
  seed: number;
  /** Episodes started so far (seeds episode i with deriveSeed(seed, i)). */
  episodes: number;
  observation: Float32Array | null;
}

/**
 * Plays `steps` environment steps into memory. `teacherShare` is the probability that the teacher
 * (ε-greedy, ε = 0.05) chooses a step's action rather than the greedy student.
 */
export async function collectSteps(c: Collector, memory: DistillMemory, steps: number, teacherShare: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    if (!c.observation) c.observation = c.env.reset(deriveSeed(c.seed, c.episodes++));
    const target = await c.teacher.qValues(c.observation, 1);
    let action: number;
    if (c.rng.random() < teacherShare) {
      action = c.rng.random() < TEACHER_EPSILON ? c.rng.int(c.env.spec.actionCount) : argmax(target);
    } else {
      action = await c.studentAct(c.observation);
    }
    const result = c.env.step(action);
    memory.add(c.observation, action, result.reward, result.observation, result.terminated, target);
    c.observation = result.terminated || result.truncated ? null : result.observation;
  }
}

/** Share of teacher-chosen actions in round `round` of `rounds`. */
export function teacherShareFor(mode: CollectMode, round: number, rounds: number): number {
  if (mode === 'teacher') return 1;
  // DAgger starts from the expert's data; after that the student drives.
  if (mode === 'student') return round === 0 ? 1 : 0;
  return rounds <= 1 ? 1 : 1 - round / (rounds - 1);
}

/** `count` states the teacher visits playing ε-greedily from `seed`, with its outputs for each. */
export async function teacherVisitedStates(teacher: Policy, count: number, seed: number): Promise<{ observations: Float32Array; outputs: Float32Array }> {
  const env = makeEnv(teacher.spec.id);
  const memory = new DistillMemory(count, observationSize(env.spec), env.spec.actionCount);
  await collectSteps({ env, teacher, studentAct: () => 0, rng: new Rng(seed), seed, episodes: 0, observation: null }, memory, count, 1);
  return { observations: memory.transitions.observations, outputs: memory.targets };
}

/** Share of states where two output arrays ([states × actions]) pick the same action. */
export function actionAgreement(a: Float32Array, b: Float32Array, actionCount: number): number {
  const states = a.length / actionCount;
  let same = 0;
  for (let s = 0; s < states; s++) if (argmax(a, s * actionCount, actionCount) === argmax(b, s * actionCount, actionCount)) same++;
  return same / states;
}
