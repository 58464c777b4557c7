// The distillation temperature, set against the teacher's own Q scale. softmax(q/τ) with a fixed τ = 0.01
// is nearly one-hot for Q-values that differ by 5 and nearly uniform for ones that differ by 0.001. With
// τ = r · S, where S is the median over states of the teacher's Q range (max − min over actions), a typical
// state's best and worst actions are 1/r nats apart whatever the reward scale, and states where the teacher
// is nearly indifferent keep soft targets instead of forcing the student to copy its tie-breaking.
import { qScale } from '../policy/fidelity.js';

/** The temperature a run uses and where it came from. */
export interface ResolvedTemperature {
  /** τ dividing the teacher's outputs before the softmax. */
  temperature: number;
  /** The teacher's Q scale on the states it was measured on (null when τ was given). */
  qScale: number | null;
  /** 'given', 'relative' (r · S) or 'fallback' (S is 0: the teacher prefers no action; τ = 1). */
  rule: 'given' | 'relative' | 'fallback';
}

/** τ for a run: the given one, or relativeTemperature × the Q scale of `teacherQ` ([states × actions]). */
export function resolveTemperature(temperature: number | 'auto', relativeTemperature: number, teacherQ: Float32Array, actionCount: number): ResolvedTemperature {
  if (temperature !== 'auto') return { temperature, qScale: null, rule: 'given' };
  const scale = qScale(teacherQ, actionCount);
  if (!(scale > 0) || !Number.isFinite(scale)) return { temperature: 1, qScale: Number.isFinite(scale) ? scale : null, rule: 'fallback' };
  return { temperature: relativeTemperature * scale, qScale: scale, rule: 'relative' };
}
