// What distill, sweep and record check before they start: that the replay memory, the students being trained
// and a minibatch fit in this machine's memory (one line naming the flag that costs most, otherwise).
import type { EnvSpec } from '../envs/types.js';
import { observationSize } from '../envs/types.js';
import { checkMemoryNeeds, denseParameters, type MemoryNeed } from '../util/memory-budget.js';

const FLOAT = 4;
/** Copies of a student's weights while it trains: weights, gradients and Adam's two moments. */
const WEIGHT_COPIES = 4;
/** Activations per minibatch row and layer: forward and backward. */
const ACTIVATION_COPIES = 3;

/** Bytes of one stored transition: observation and next observation, the teacher's outputs, action, reward, flags. */
function transitionBytes(spec: EnvSpec, labelled: boolean): number {
  return 2 * observationSize(spec) * FLOAT + (labelled ? spec.actionCount * FLOAT : 0) + 4 * FLOAT;
}

/** The replay memory of `capacity` transitions, named by the flag that sizes it. */
export function memoryNeed(capacity: number, spec: EnvSpec, what: string, labelled = true): MemoryNeed {
  return { what: `${what} (${capacity.toLocaleString('en-US')} transitions of ${observationSize(spec)} values)`, bytes: capacity * transitionBytes(spec, labelled), elements: capacity * observationSize(spec) };
}

/** Options of {@link checkDistillPlan}: the flags that size a distillation. */
export interface DistillPlan {
  /** Transitions the memory holds (--memory-size, or --rounds × --steps-per-round for a sweep's labels). */
  capacity: number;
  /** The flag (or flags) that set `capacity`, as the user wrote them. */
  capacityFlag: string;
  /** Hidden sizes of each student trained. */
  students: readonly (readonly number[])[];
  /** Minibatch size. */
  batchSize: number;
}

/** Refuses, in one line, a distillation whose buffers do not fit in this machine's memory. */
export function checkDistillPlan(plan: DistillPlan, spec: EnvSpec): void {
  const obs = observationSize(spec);
  const needs: MemoryNeed[] = [memoryNeed(plan.capacity, spec, plan.capacityFlag)];
  for (const hidden of plan.students) {
    const parameters = denseParameters(obs, hidden, spec.actionCount);
    const widest = Math.max(obs, ...hidden);
    needs.push({ what: `--student ${hidden.join(',')} (${parameters.toExponential(2)} weights)`, bytes: parameters * FLOAT * WEIGHT_COPIES, elements: Math.max(...hidden) * widest });
  }
  const widest = Math.max(obs, ...plan.students.flat());
  const activations = obs + Math.max(0, ...plan.students.map((h) => h.reduce((a, b) => a + b, 0)));
  needs.push({ what: `--batch-size ${plan.batchSize} (the minibatch's activations)`, bytes: plan.batchSize * activations * FLOAT * ACTIVATION_COPIES, elements: plan.batchSize * widest });
  checkMemoryNeeds(needs, spec.id);
}
