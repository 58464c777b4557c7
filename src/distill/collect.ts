// Filling the distillation memory: someone plays (the teacher ε-greedily, the student greedily, or a mix
// that hands over from teacher to student — Czarnecki et al. 2019 compare these) and the teacher labels
// every visited state.
import type { Env } from '../envs/types.js';
import { deriveSeed, type Rng } from '../envs/rng.js';
import { argmax, type Policy } from '../infer/policy.js';
import type { DistillMemory } from './memory.js';

export const COLLECTORS = ['teacher', 'student', 'mixed'] as const;
export type CollectMode = (typeof COLLECTORS)[number];
export const TEACHER_EPSILON = 0.05;

export interface Collector {
  env: Env;
  teacher: Policy;
  studentAct: (observation: Float32Array) => number;
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
      action = c.studentAct(c.observation);
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
