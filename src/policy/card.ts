// Model cards: how a model was made, precisely enough that its `command` reproduces it. A card travels twice:
// as card.json beside the model and (shortened) inside the ONNX file's qdistill.card metadata.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { commandLine } from '../util/command-line.js';
import { readInputText } from '../util/input-file.js';
import { machineDescription } from '../util/machine.js';
import { TOOL_VERSION } from '../util/version.js';

/** Who made a file, where and when: the block every card ends with. */
export interface Provenance {
  /** qdistill's version (package.json). */
  toolVersion: string;
  /** The command that made the file (the CLI line, or the script for library calls). */
  command: string;
  /** The machine it ran on: CPU count and model, Node version. */
  machine: string;
  /** When the file was made (ISO 8601, UTC). */
  createdAt: string;
}

/** The provenance block for a file made now; `command` defaults to this process's command line. */
export function provenance(command: string = commandLine()): Provenance {
  return { toolVersion: TOOL_VERSION, command, machine: machineDescription(), createdAt: new Date().toISOString() };
}

/** A greedy evaluation as cards record it. */
export interface EvalRecord {
  /** Mean return. */
  mean: number;
  /** Population standard deviation of the returns. */
  std: number;
  /** Episodes played. */
  episodes: number;
  /** Base seed of the episodes (see EvalResult.seed). */
  seed: number;
}

/** A DQN teacher trained by `qdistill train`. */
export interface TeacherCard extends Provenance {
  /** Always 'teacher'. */
  kind: 'teacher';
  /** 'DQN'. */
  algorithm: string;
  /** Environment id it was trained on. */
  env: string;
  /** Seed of the network's initialization, exploration and environments. */
  seed: number;
  /** Hyperparameters under Stable-Baselines3's names (camelCase). */
  config: object;
  /** The Q-network's layers, e.g. '256-256', 'conv16-128' or '64-64 dueling'. */
  network: string;
  /** Parameters of the Q-network. */
  parameters: number;
  /** Environment steps trained. */
  steps: number;
  /** Training episodes finished. */
  episodes: number;
  /** The final greedy evaluation, on the shared evaluation seeds. */
  evalReward: EvalRecord;
  /** Mean return of the last 100 training episodes (ε-greedy). */
  trainReturn100: number | null;
  /** Seconds of training, earlier runs of a resumed one included (the final evaluation not). */
  wallTimeSeconds: number;
  /** Environment steps per second of this run (since the resume, if resumed). */
  stepsPerSecond: number;
  /** The tfjs backend it trained on. */
  backend: string;
  /** Why that backend, in one line (e.g. what auto timed). */
  backendReason: string;
  /** The checkpoint step this run resumed from, or null for a fresh run. */
  resumedFromStep: number | null;
}

/** A student made by `qdistill distill` (or behaviour cloning from demonstrations). */
export interface StudentCard extends Provenance {
  /** Always 'student'. */
  kind: 'student';
  /** Environment id the student plays. */
  env: string;
  /** The teacher's path as given, its hash (first 16 hex digits of SHA-256) and return; null for behaviour cloning. */
  teacher: { file: string; hash: string; reward: { mean: number; std: number; episodes: number } | null } | null;
  /** The demonstrations file it was cloned from, or null. */
  demonstrations: string | null;
  /** How it learnt: 'distillation' from the teacher's outputs, or 'behaviour cloning (…)' on actions — demonstrations, or a teacher file that gives actions only; older cards leave it out. */
  method?: string;
  /** Hidden layer sizes, e.g. '16-16'. */
  student: string;
  /** Parameters of the student. */
  parameters: number;
  /** The trainer's settings (DistillConfig). */
  config: object;
  /** The final greedy evaluation, on the shared evaluation seeds; null for a student distilled offline (no environment played). */
  evalReward: EvalRecord | null;
  /** false for a student distilled offline (`distill --observations`): no return was measured; absent otherwise. */
  returnMeasured?: false;
  /** Offline students: the observations file (its hash, the array read) and how its states were split into training and held-out ones. */
  observations?: { file: string; array: string | null; hash: string; states: number; trainStates: number; heldOutStates: number; heldOutShare: number; seed: number; heldOutAlsoInTraining: number };
  /** Share of held-out teacher states where the student picks the teacher's action (offline: of the held-out observations). */
  agreement: number | null;
  /** Agreement on the decisive held-out states (the teacher's top-two Q gap ≥ half its Q scale); null without Q-values; older cards leave it out. */
  decisiveAgreement?: number | null;
  /** Share of the held-out states that are decisive. */
  decisiveShare?: number | null;
  /** Mean Q_T(s, a_teacher) − Q_T(s, a_student) on the held-out states, in the teacher's Q units. */
  regret?: number | null;
  /** regret as a share of the teacher's Q scale. */
  relativeRegret?: number | null;
  /** The teacher's Q scale: median over the held-out states of max − min Q. */
  qScale?: number | null;
  /** The temperature used (kl, dqn+kl): τ, the Q scale it was set from and the rule; null for mse and nll. */
  temperature?: { temperature: number; qScale: number | null; rule: string } | null;
  /** Why the run ended: the paired stop rule met ('not worse'), the budget spent, or no rule; with the last check's figures. */
  stop?: { reason: string; rounds: number; summary: string; last: object | null };
  /** Per-round history (card.json only: the copy inside the file leaves it out). */
  rounds?: unknown[];
  /** True when the stop rule was met before the last round. */
  stoppedEarly: boolean;
  /** Seconds of training (the final evaluation not included). */
  wallTimeSeconds: number;
  /** The tfjs backend it trained on. */
  backend: string;
}

/** The pick of `qdistill compress`, with every candidate it weighed. */
export interface CompressedCard extends Provenance {
  /** Always 'compressed'. */
  kind: 'compressed';
  /** Environment id the policy plays. */
  env: string;
  /** The teacher's path as given and its hash, with its return, bytes and parameters. */
  teacher: { file: string; hash: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** Any card qdistill writes; `kind` tells which. */
export type ModelCard = TeacherCard | StudentCard | CompressedCard;

/** The card's file name beside a model. */
export const CARD_FILE = 'card.json';

/** Writes `card` as card.json in `dir` (atomically). */
export function writeCard(dir: string, card: ModelCard): void {
  writeJsonAtomic(join(dir, CARD_FILE), card);
}

/** The card next to a model, or null when there is none (models from elsewhere) or it is not JSON. */
export function readCard(dir: string): ModelCard | null {
  const path = join(dir, CARD_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readInputText(path, 'card', { maxBytes: 64 * 2 ** 20 })) as ModelCard;
  } catch {
    return null;
  }
}
