// How faithfully a policy follows a teacher that gives Q-values, beyond plain action agreement. A teacher whose
// Q-values are nearly tied in many states (LunarLander's hovering, CartPole's centred pole) makes agreement
// look poor while the student loses nothing: there either action is as good. So besides agreement:
//   - the teacher's Q scale S: the median over states of its Q-value range (max − min over actions);
//   - decisive states: the teacher's top-two gap is at least DECISIVE_GAP · S, and agreement on those alone;
//   - regret: Q_T(s, a_T) − Q_T(s, a_S), the value the teacher says the student's action gives up, as a mean
//     and relative to S.
import { argmax } from './agreement.js';

/** A state is decisive when the teacher's best action leads its runner-up by at least this share of the teacher's Q scale. */
export const DECISIVE_GAP = 0.5;

/** The median of `values` (NaN for none). */
function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The teacher's Q scale: the median over states of max_a Q(s, a) − min_a Q(s, a), for `q` laid out
 * [states × actions]. It is what "a large gap" and the distillation temperature are measured against, so that
 * both mean the same for Q-values of 5 and of 300. 0 when the teacher never prefers one action.
 */
export function qScale(q: Float32Array, actionCount: number): number {
  const ranges: number[] = [];
  for (let s = 0; s < q.length / actionCount; s++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let a = 0; a < actionCount; a++) {
      const v = q[s * actionCount + a];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    ranges.push(hi - lo);
  }
  return median(ranges);
}

/** The fidelity figures of a student on a set of states, against the teacher's Q-values there. */
export interface Fidelity {
  /** States measured. */
  states: number;
  /** Share of states where the student's argmax is the teacher's. */
  agreement: number;
  /** The teacher's Q scale on these states (qScale). */
  qScale: number;
  /** Share of the states that are decisive (top-two gap ≥ DECISIVE_GAP · qScale). */
  decisiveShare: number;
  /** Agreement on the decisive states alone; null when there are none. */
  decisiveAgreement: number | null;
  /** Mean of Q_T(s, a_teacher) − Q_T(s, a_student) over the states (≥ 0), in the teacher's Q units. */
  regret: number;
  /** regret / qScale; null when the scale is 0. */
  relativeRegret: number | null;
}

/**
 * Agreement, decisive-state agreement and Q regret of `student` outputs against `teacherQ` (both
 * [states × actions]; the student's may be logits, only its argmax counts). `scale` defaults to the teacher's
 * own qScale on these states.
 */
export function fidelity(student: Float32Array, teacherQ: Float32Array, actionCount: number, scale = qScale(teacherQ, actionCount)): Fidelity {
  const states = teacherQ.length / actionCount;
  let same = 0;
  let decisive = 0;
  let decisiveSame = 0;
  let regret = 0;
  for (let s = 0; s < states; s++) {
    const row = s * actionCount;
    const best = argmax(teacherQ, row, actionCount);
    const chosen = argmax(student, row, actionCount);
    let second = -Infinity;
    for (let a = 0; a < actionCount; a++) if (a !== best && teacherQ[row + a] > second) second = teacherQ[row + a];
    const agrees = best === chosen;
    if (agrees) same++;
    const gap = teacherQ[row + best] - second;
    if (gap > 0 && gap >= DECISIVE_GAP * scale) {
      decisive++;
      if (agrees) decisiveSame++;
    }
    regret += teacherQ[row + best] - teacherQ[row + chosen];
  }
  const meanRegret = states ? regret / states : 0;
  return {
    states,
    agreement: states ? same / states : NaN,
    qScale: scale,
    decisiveShare: states ? decisive / states : NaN,
    decisiveAgreement: decisive ? decisiveSame / decisive : null,
    regret: meanRegret,
    relativeRegret: scale > 0 ? meanRegret / scale : null,
  };
}
