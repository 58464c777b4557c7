// Model cards: how a model was made, precisely enough that its `command` reproduces it. A card travels twice:
// as card.json beside the model and (shortened) inside the ONNX file's qdistill.card metadata.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { commandLine } from '../util/command-line.js';
import { machineDescription } from '../util/machine.js';
import { TOOL_VERSION } from '../util/version.js';

/** Who made a file, where and when: the block every card ends with. */
export interface Provenance {
  toolVersion: string;
  /** The command that made the file (the CLI line, or the script for library calls). */
  command: string;
  machine: string;
  createdAt: string;
}

/** The provenance block for a file made now; `command` defaults to this process's command line. */
export function provenance(command: string = commandLine()): Provenance {
  return { toolVersion: TOOL_VERSION, command, machine: machineDescription(), createdAt: new Date().toISOString() };
}

/** A greedy evaluation as cards record it. */
export interface EvalRecord {
  mean: number;
  std: number;
  episodes: number;
  seed: number;
}

/** A DQN teacher trained by `qdistill train`. */
export interface TeacherCard extends Provenance {
  kind: 'teacher';
  algorithm: string;
  env: string;
  seed: number;
  /** Hyperparameters under Stable-Baselines3's names (camelCase). */
  config: object;
  network: string;
  parameters: number;
  steps: number;
  episodes: number;
  evalReward: EvalRecord;
  /** Mean return of the last 100 training episodes (ε-greedy). */
  trainReturn100: number | null;
  wallTimeSeconds: number;
  stepsPerSecond: number;
  backend: string;
  backendReason: string;
  resumedFromStep: number | null;
}

/** A student made by `qdistill distill` (or behaviour cloning from demonstrations). */
export interface StudentCard extends Provenance {
  kind: 'student';
  env: string;
  teacher: { file: string; hash: string; reward: { mean: number; std: number; episodes: number } | null } | null;
  demonstrations: string | null;
  /** Hidden layer sizes, e.g. '16-16'. */
  student: string;
  parameters: number;
  config: object;
  evalReward: EvalRecord;
  /** Share of held-out teacher states where the student picks the teacher's action. */
  agreement: number | null;
  /** Per-round history (card.json only: the copy inside the file leaves it out). */
  rounds?: unknown[];
  stoppedEarly: boolean;
  wallTimeSeconds: number;
  backend: string;
}

/** The pick of `qdistill compress`, with every candidate it weighed. */
export interface CompressedCard extends Provenance {
  kind: 'compressed';
  env: string;
  teacher: { file: string; hash: string; [key: string]: unknown };
  [key: string]: unknown;
}

export type ModelCard = TeacherCard | StudentCard | CompressedCard;

export const CARD_FILE = 'card.json';

export function writeCard(dir: string, card: ModelCard): void {
  writeJsonAtomic(join(dir, CARD_FILE), card);
}

/** The card next to a model, or null when there is none (models from elsewhere) or it is not JSON. */
export function readCard(dir: string): ModelCard | null {
  const path = join(dir, CARD_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ModelCard;
  } catch {
    return null;
  }
}
