// Stepping an environment across episode boundaries while someone plays: the teacher ε-greedily, the
// student greedily, or a mix of the two. The distillation collector, calibration, benchmarks and agreement
// figures all draw their states from here, so they all see states a policy really visits.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize, type Env, type VectorEnv } from '../envs/types.js';
import { EnvArray } from '../envs/vector.js';
import type { Policy } from '../infer/policy.js';
import { argmax } from '../policy/agreement.js';
import type { BatchActFn } from './lockstep.js';

/** ε of the teacher when it chooses the action (exploration keeps the states from one narrow path). */
export const TEACHER_EPSILON = 0.05;

/** Where visited steps go (the distillation memory, or the plain arrays of visitedStates). */
export interface TransitionSink {
  /** Stores one step; `target` is a view the caller reuses, so a sink copies what it keeps. */
  add(observation: Float32Array, action: number, reward: number, next: Float32Array, terminated: boolean, target: Float32Array): void;
}

export interface Collector {
  /** One env or a vector of them: a vector of N plays N episodes side by side, one teacher call and one step call per N steps. */
  env: Env | VectorEnv;
  teacher: Policy;
  /** The greedy student's actions for `count` observations laid out one after another. */
  studentActs: BatchActFn;
  rng: Rng;
  seed: number;
  /** Episodes started so far (seeds episode i with deriveSeed(seed, i)). */
  episodes: number;
  /** The current observation of each env of the vector (null: its next episode has not started). */
  observations?: (Float32Array | null)[];
  /** The episode each env of the vector plays. */
  playing?: number[];
  /** Who plays the teacher's share of episode i, when not the labelling teacher itself (an ensemble's members in turn). */
  actorFor?: (episode: number) => Policy;
}

function asVector(env: Env | VectorEnv): VectorEnv {
  return 'size' in env ? env : new EnvArray([env]);
}

/**
 * Plays `steps` environment steps into `sink`, the teacher labelling every state. `teacherShare` is the
 * probability that the teacher (ε-greedy) chooses a step's action rather than the greedy student. With a
 * vector of N envs, each round labels, acts and steps up to N envs at once; the random draws are made env
 * by env in order, so a vector of one makes exactly the steps of a single env.
 */
export async function collectSteps(c: Collector, sink: TransitionSink, steps: number, teacherShare: number): Promise<void> {
  const vector = asVector(c.env);
  const size = observationSize(vector.spec);
  const actionCount = vector.spec.actionCount;
  c.observations ??= new Array(vector.size).fill(null);
  c.playing ??= new Array(vector.size).fill(-1);
  const observations = c.observations;
  const playing = c.playing;
  for (let done = 0; done < steps; ) {
    const slots = Array.from({ length: Math.min(vector.size, steps - done) }, (_, i) => i);
    const starting = slots.filter((i) => observations[i] === null);
    if (starting.length) {
      for (const i of starting) playing[i] = c.episodes++;
      const first = vector.reset(starting, starting.map((i) => deriveSeed(c.seed, playing[i])));
      starting.forEach((i, k) => (observations[i] = first[k]));
    }
    const batch = new Float32Array(slots.length * size);
    slots.forEach((i) => batch.set(observations[i]!, i * size));
    const targets = await c.teacher.qValues(batch, slots.length);
    const actions = new Array<number>(slots.length);
    const byStudent: number[] = [];
    for (const i of slots) {
      const target = targets.subarray(i * actionCount, (i + 1) * actionCount);
      if (c.rng.random() < teacherShare) {
        const actor = c.actorFor?.(playing[i]);
        const greedy = actor ? argmax(await actor.qValues(observations[i]!, 1)) : argmax(target);
        actions[i] = c.rng.random() < TEACHER_EPSILON ? c.rng.int(actionCount) : greedy;
      } else {
        byStudent.push(i);
      }
    }
    if (byStudent.length) {
      const input = new Float32Array(byStudent.length * size);
      byStudent.forEach((i, k) => input.set(observations[i]!, k * size));
      const chosen = await c.studentActs(input, byStudent.length);
      byStudent.forEach((i, k) => (actions[i] = chosen[k]));
    }
    const results = vector.step(slots, actions);
    for (const i of slots) {
      const result = results[i];
      sink.add(observations[i]!, actions[i], result.reward, result.observation, result.terminated, targets.subarray(i * actionCount, (i + 1) * actionCount));
      observations[i] = result.terminated || result.truncated ? null : result.observation;
    }
    done += slots.length;
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
    await collectSteps({ env, teacher: policy, studentActs: () => [], rng: new Rng(seed), seed, episodes: 0 }, sink, count, 1);
  } finally {
    env.close?.();
  }
  return { observations, outputs };
}
