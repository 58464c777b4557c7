// The students table that `distill` and `sweep` print and sweep.md holds.
import { formatTable } from '../util/text-table.js';
import type { StudentSummary } from './distill.js';

/** One row per student: size, bytes, return, share of the teacher's gain, agreement, rounds, time. */
export function studentsTable(rows: StudentSummary[]): string {
  return formatTable(
    ['student', 'params', 'bytes', 'of teacher', 'loss', 'data', 'return (mean ± std)', '% of teacher gain', 'agreement', 'rounds', 'distill time'],
    rows.map((s) => [
      s.student,
      s.parameters,
      s.bytes,
      s.teacherParameters ? `1/${(s.teacherParameters / s.parameters).toFixed(1)}` : '-',
      s.loss,
      s.collect,
      `${s.reward.mean.toFixed(1)} ± ${s.reward.std.toFixed(1)} (${s.reward.episodes} ep)`,
      s.ofTeacherReward === null ? '-' : `${(100 * s.ofTeacherReward).toFixed(1)}%`,
      s.agreement === null ? '-' : `${(100 * s.agreement).toFixed(1)}%`,
      `${s.rounds}${s.stoppedEarly ? ' (early)' : ''}`,
      `${s.wallSeconds.toFixed(1)} s`,
    ]),
  );
}
