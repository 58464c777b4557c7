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
  /** Agreement on the decisive ones of those states (the teacher's top-two Q gap ≥ half its Q scale); null without Q-values or decisive states. */
  decisiveAgreement: number | null;
  /** Mean Q_T(s, a_teacher) − Q_T(s, a_student) on those states, as a share of the teacher's Q scale; null without Q-values. */
  relativeRegret: number | null;
  /** Training rounds run. */
  rounds: number;
  /** True when the stop rule was met before the last round. */
  stoppedEarly: boolean;
  /** Why the run ended: 'not worse' (the paired stop rule was met), 'budget' (every round ran) or 'no rule' (no teacher to compare with, or --no-early-stop). */
  stop: 'not worse' | 'budget' | 'no rule';
  /** The stop in one sentence, with the rule's figures. */
  stopSummary: string;
  /** Seconds of training (the final evaluation not included). */
  wallSeconds: number;
  /** The tfjs backend it trained on. */
  backend: string;
}

function share(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(1)}%`;
}

/** One row per student: size, bytes, return, share of the teacher's gain, agreement, decisive agreement, regret, rounds, time; `env` adds the environment first. */
export function studentsTable(rows: StudentSummary[], o: { env?: boolean } = {}): string {
  const headers = ['student', 'params', 'bytes', 'of teacher', 'loss', 'data', 'return (mean ± std)', '% of teacher gain', 'agreement', 'decisive', 'regret', 'rounds', 'distill time'];
  return formatTable(
    o.env ? ['env', ...headers] : headers,
    rows.map((s) => [
      ...(o.env ? [s.env] : []),
      s.student,
      s.parameters,
      s.bytes,
      s.teacherParameters ? `1/${(s.teacherParameters / s.parameters).toFixed(1)}` : '-',
      s.loss,
      s.collect,
      `${s.reward.mean.toFixed(1)} ± ${s.reward.std.toFixed(1)} (${s.reward.episodes} ep)`,
      s.ofTeacherReward === null ? '-' : `${(100 * s.ofTeacherReward).toFixed(1)}%`,
      share(s.agreement),
      share(s.decisiveAgreement),
      share(s.relativeRegret),
      `${s.rounds}${s.stop === 'not worse' ? ' (met)' : s.stop === 'budget' ? ' (budget)' : ''}`,
      `${s.wallSeconds.toFixed(1)} s`,
    ]),
  );
}
