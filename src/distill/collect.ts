// Who plays while the distillation memory fills: the teacher ε-greedily, the student greedily, or a mix that
// hands over from teacher to student (Czarnecki et al. 2019 compare these). The stepping itself is the shared
// collector in rollout/visited-states.ts; the teacher labels every visited state.

/** Every collect mode. */
export const COLLECTORS = ['teacher', 'student', 'mixed'] as const;
/** Who plays while the memory fills: teacher (ε-greedy) throughout; student (greedy) after a first teacher round, as DAgger; mixed: a linear hand-over. */
export type CollectMode = (typeof COLLECTORS)[number];

/** Share of teacher-chosen actions in round `round` of `rounds`. */
export function teacherShareFor(mode: CollectMode, round: number, rounds: number): number {
  if (mode === 'teacher') return 1;
  // DAgger starts from the expert's data; after that the student drives.
  if (mode === 'student') return round === 0 ? 1 : 0;
  return rounds <= 1 ? 1 : 1 - round / (rounds - 1);
}
