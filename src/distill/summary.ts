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

/** Fidelity to the teacher on the held-out states of an offline run (policy/fidelity.ts). */
export interface HeldOutFigures {
  /** Held-out states measured. */
  states: number;
  /** Share of them where the student's argmax is the teacher's. */
  agreement: number;
  /** Agreement on the decisive ones (the teacher's top-two gap ≥ half its Q scale); null without Q-values or decisive states. */
  decisiveAgreement: number | null;
  /** Share of the held-out states that are decisive; null without Q-values. */
  decisiveShare: number | null;
  /** Mean Q_T(s, a_teacher) − Q_T(s, a_student), in the teacher's Q units; null without Q-values. */
  regret: number | null;
  /** regret / the teacher's Q scale on these states; null without Q-values (or a scale of 0). */
  relativeRegret: number | null;
  /** The teacher's Q scale on these states (median of max − min Q); null without Q-values. */
  qScale: number | null;
}

/**
 * A student distilled offline (`distill --observations`): from states recorded elsewhere, with no environment
 * played, so no return is measured (reward and the figures built on it are null) and its fidelity is measured
 * on a held-out share of the states instead.
 */
export interface OfflineStudentSummary extends Omit<StudentSummary, 'collect' | 'reward' | 'teacherReward' | 'ofTeacherReward' | 'randomReward'> {
  /** Where the states came from: the observations file. */
  collect: 'observations';
  /** Always null: no environment was played (`qdistill eval student.onnx` measures the return where its environment runs). */
  reward: null;
  /** Always null, as reward. */
  teacherReward: null;
  /** Always null, as reward. */
  ofTeacherReward: null;
  /** Always null, as reward. */
  randomReward: null;
  /** Always false: says in the JSON that no return was measured. */
  returnMeasured: false;
  /** The observations file, the array read and how its states were split. */
  observations: {
    /** The observations file as given. */
    file: string;
    /** The .npz member read, or null for a .npy. */
    array: string | null;
    /** States in the file. */
    states: number;
    /** States trained on. */
    trainStates: number;
    /** States held out (the fidelity figures are on these). */
    heldOutStates: number;
    /** The held-out share asked for. */
    heldOutShare: number;
    /** The seed that drew the split. */
    seed: number;
    /** Held-out states equal to some training state (nothing is deduplicated; many of these make the held-out figures optimistic). */
    heldOutAlsoInTraining: number;
  };
  /** Fidelity on the held-out states (agreement, decisiveAgreement and relativeRegret above are these too). */
  heldOut: HeldOutFigures;
}

/** One line for an offline student: the held-out figures, and that no return was measured. */
export function heldOutLine(s: OfflineStudentSummary): string {
  const h = s.heldOut;
  const o = s.observations;
  const decisive = h.decisiveAgreement === null ? '' : `, decisive-state agreement ${share(h.decisiveAgreement)} (${share(h.decisiveShare)} of the states are decisive)`;
  const regret = h.relativeRegret === null ? '' : `, Q regret ${share(h.relativeRegret)} of the teacher's Q scale (${h.regret!.toPrecision(3)} in its units)`;
  const seen = o.heldOutAlsoInTraining ? `; ${o.heldOutAlsoInTraining} of them also occur among the training states` : '';
  return `held out ${o.heldOutStates} of the ${o.states} states of ${o.file}${o.array ? ` ('${o.array}')` : ''} (${share(o.heldOutShare)}, drawn from seed ${o.seed}${seen}): agreement ${share(h.agreement)}${decisive}${regret}; no return measured (no environment was played)`;
}

function share(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(1)}%`;
}

/**
 * One row per student: size, bytes, return, share of the teacher's gain, agreement, decisive agreement, regret,
 * rounds, time; `env` adds the environment first. An offline student's return reads 'not measured' and its
 * agreement, decisive agreement and regret are those on its held-out states.
 */
export function studentsTable(rows: (StudentSummary | OfflineStudentSummary)[], o: { env?: boolean } = {}): string {
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
      s.reward ? `${s.reward.mean.toFixed(1)} ± ${s.reward.std.toFixed(1)} (${s.reward.episodes} ep)` : 'not measured',
      s.ofTeacherReward === null ? '-' : `${(100 * s.ofTeacherReward).toFixed(1)}%`,
      share(s.agreement),
      share(s.decisiveAgreement),
      share(s.relativeRegret),
      `${s.rounds}${s.stop === 'not worse' ? ' (met)' : s.stop === 'budget' ? ' (budget)' : ''}`,
      `${s.wallSeconds.toFixed(1)} s`,
    ]),
  );
}
