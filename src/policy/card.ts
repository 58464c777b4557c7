// The model card: how a model was made, precisely enough that its `command` reproduces it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { DqnConfig } from '../rl/presets.js';

export interface ModelCard {
  kind: 'teacher';
  algorithm: 'DQN';
  env: string;
  seed: number;
  config: DqnConfig;
  network: string;
  parameters: number;
  steps: number;
  episodes: number;
  evalReward: { mean: number; std: number; episodes: number; seed: number };
  /** Mean return of the last 100 training episodes (ε-greedy). */
  trainReturn100: number | null;
  wallTimeSeconds: number;
  stepsPerSecond: number;
  backend: string;
  backendReason: string;
  resumedFromStep: number | null;
  toolVersion: string;
  command: string;
  machine: string;
  createdAt: string;
}

export const CARD_FILE = 'card.json';

export function writeCard(dir: string, card: ModelCard): void {
  writeJsonAtomic(join(dir, CARD_FILE), card);
}

/** The card next to a model, or null when there is none (models from elsewhere). */
export function readCard(dir: string): ModelCard | null {
  const path = join(dir, CARD_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ModelCard;
  } catch {
    return null;
  }
}
