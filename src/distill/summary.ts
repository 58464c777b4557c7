// What distill and sweep report for each student, and the table that `distill` and `sweep` print and sweep.md holds.
import { formatTable } from '../util/text-table.js';
import type { CollectMode } from './collect.js';
import type { LossName } from './loss-names.js';

/** One trained student's figures, as distill() and sweep() return them (sweep.json lists them too). */
export interface StudentSummary {
  /** The student's folder (student.onnx, card.json). */
  out: string;
  /** Environment id the student plays. */
  env: string;
  /** The student's shape as a name, e.g. '16-16' or 'conv16-128'. */
  student: string;
  /** Parameters of the student. */
  parameters: number;
  /** Size of student.onnx in bytes. */
  bytes: number;
  /** Parameters of the teacher: from its card, else counted in its graph (weights, not shape constants); null without a teacher. */
  teacherParameters: number | null;
  /** The loss it was trained with. */
  loss: LossName;
  /** How it learnt: from the teacher's outputs, or by behaviour cloning on actions (demonstrations, or a teacher file that gives actions only). */
  method: 'distillation' | 'behaviour cloning (demonstrations)' | 'behaviour cloning (the teacher gives actions only)';
  /** Who played while collecting; 'dataset' when labels were reused (--dataset, and every sweep student), 'demonstrations' for behaviour cloning. */
  collect: CollectMode | 'dataset' | 'demonstrations';
  /** The student's greedy return over finalEpisodes on the shared evaluation seeds. */
  reward: { mean: number; std: number; episodes: number };
  /** The teacher's return on the same seeds (from its card when measured there, else measured now); null without a teacher. */
  teacherReward: { mean: number; std: number; episodes: number } | null;
  /** (student − random) / (teacher − random): the share of the teacher's gain over a uniformly random policy. */
  ofTeacherReward: number | null;
  /** Mean return of a uniformly random policy on the same seeds. */
  randomReward: number;
  /** Share of 2000 held-out teacher-visited states where the student picks the teacher's action; null without a teacher. */
  agreement: number | null;
  /** Training rounds run. */
  rounds: number;
  /** True when it reached the teacher's return minus one std before the last round. */
  stoppedEarly: boolean;
  /** Seconds of training (the final evaluation not included). */
  wallSeconds: number;
  /** The tfjs backend it trained on. */
  backend: string;
}

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
