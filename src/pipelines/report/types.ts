// The compare report's data: what compare() measures and the report files (Markdown, HTML, JSON) show.
import type { BenchRun } from '../../benchmark/index.js';

/** One model's figures in a comparison. */
export interface ModelFigures {
  /** The model file. */
  file: string;
  /** Short name for tables and plots: the last path parts that tell the files apart. */
  label: string;
  /** 'teacher' for the first file, 'student' for the others. */
  role: 'teacher' | 'student';
  /** File size in bytes. */
  bytes: number;
  /** Parameters (as inspect counts them). */
  parameters: number;
  /** Multiply-accumulates of one inference at batch 1, or null when unknown. */
  macs: number | null;
  /** Greedy return on the shared evaluation seeds (ort-cpu): mean, population std, min, max, and every episode's return and length. */
  reward: { mean: number; std: number; min: number; max: number; episodes: number; seed: number; returns: number[]; lengths: number[] };
  /** (return − random) / (teacher − random); null when the teacher does no better than random. */
  ofTeacher: number | null;
  /** Share of teacher-visited states where the model picks the teacher's action. */
  agreement: number;
  /** Agreement on the decisive ones of those states (the teacher's top-two Q gap ≥ half its Q scale); null for a teacher without Q-values or without decisive states. */
  decisiveAgreement: number | null;
  /** Mean Q_teacher(s, a_teacher) − Q_teacher(s, a_model) on those states, as a share of the teacher's Q scale; null for a teacher without Q-values. */
  relativeRegret: number | null;
}

/** A comparison of a teacher and its students, as compare() returns it and report.json holds it. */
export interface CompareReport {
  /** 'qdistill'. */
  tool: string;
  /** qdistill's version. */
  version: string;
  /** The command line that made the report. */
  command: string;
  /** The machine measured on: CPU count and model, Node version. */
  machine: string;
  /** When the report was made (ISO 8601, UTC). */
  createdAt: string;
  /** Environment id every model plays. */
  env: string;
  /** Evaluation episodes per model. */
  episodes: number;
  /** Base seed of the evaluation episodes. */
  seed: number;
  /** Mean return of a uniformly random policy on the same seeds: 0% of teacher. */
  randomReward: number;
  /** Teacher-visited states agreement is measured on. */
  agreementStates: number;
  /** Seed of the episodes those states come from. */
  agreementSeed: number;
  /** Which runtime played the episodes and labelled the agreement states. */
  rewardRuntime: string;
  /** One per model, the teacher first. */
  models: ModelFigures[];
  /** The latency benchmark of every model on every selected runtime. */
  latency: BenchRun;
}
