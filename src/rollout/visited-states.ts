// Stepping an environment across episode boundaries while someone plays: the teacher ε-greedily, the
// student greedily, or a mix of the two. The distillation collector, calibration, benchmarks and agreement
// figures all draw their states from here, so they all see states a policy really visits.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize, type Env } from '../envs/types.js';
import type { Policy } from '../infer/policy.js';
import { argmax } from '../policy/agreement.js';

/** ε of the teacher when it chooses the action (exploration keeps the states from one narrow path). */
export const TEACHER_EPSILON = 0.05;

/** Where visited steps go (the distillation memory, or the plain arrays of visitedStates). */
export interface TransitionSink {
  add(observation: Float32Array, action: number, reward: number, next: Float32Array, terminated: boolean, target: Float32Array): void;
}

export interface Collector {
  env: Env;
  teacher: Policy;
  studentAct: (observation: Float32Array) => number | Promise<number>;
  rng: Rng;
  seed: number;
  /** Episodes started so far (seeds episode i with deriveSeed(seed, i)). */
  episodes: number;
  observation: Float32Array | null;
  /** Who plays the teacher's share of episode i, when not the labelling teacher itself (an ensemble's members in turn). */
  actorFor?: (episode: number) => Policy;
}

/**
 * Plays `steps` environment steps into `sink`, the teacher labelling every state. `teacherShare` is the
 * probability that the teacher (ε-greedy) chooses a step's action rather than the greedy student.
 */
export async function collectSteps(c: Collector, sink: TransitionSink, steps: number, teacherShare: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    if (!c.observation) c.observation = c.env.reset(deriveSeed(c.seed, c.episodes++));
    const target = await c.teacher.qValues(c.observation, 1);
    let action: number;
    if (c.rng.random() < teacherShare) {
      const actor = c.actorFor?.(c.episodes - 1);
      const greedy = actor ? argmax(await actor.qValues(c.observation, 1)) : argmax(target);
      action = c.rng.random() < TEACHER_EPSILON ? c.rng.int(c.env.spec.actionCount) : greedy;
    } else {
      action = await c.studentAct(c.observation);
    }
    const result = c.env.step(action);
    sink.add(c.observation, action, result.reward, result.observation, result.terminated, target);
    c.observation = result.terminated || result.truncated ? null : result.observation;
  }
}

/** `count` states `policy` visits playing ε-greedily from `seed`, with its outputs for each. */
export async function visitedStates(policy: Policy, count: number, seed: number): Promise<{ observations: Float32Array; outputs: Float32Array }> {
  const env = makeEnv(policy.spec.id);
  const size = observationSize(env.spec);
  const actions = env.spec.actionCount;
  const observations = new Float32Array(count * size);
  const outputs = new Float32Array(count * actions);
  let filled = 0;
  const sink: TransitionSink = {
    add: (observation, _action, _reward, _next, _terminated, target) => {
      observations.set(observation, filled * size);
      outputs.set(target, filled * actions);
      filled++;
    },
  };
  try {
    await collectSteps({ env, teacher: policy, studentAct: () => 0, rng: new Rng(seed), seed, episodes: 0, observation: null }, sink, count, 1);
  } finally {
    env.close?.();
  }
  return { observations, outputs };
}
