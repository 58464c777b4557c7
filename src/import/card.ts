// The card of an imported teacher: what was read (the source file's SHA-256, format, SB3 version, policy
// class, the Zoo's config.yml and args.yml) and what was made of it. Written as card.json beside the ONNX
// file and inside it (qdistill.card). It is a teacher card without the training figures `train` records.
import { dirname, join } from 'node:path';
import { CARD_FILE, type Provenance } from '../policy/card.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { Activation } from './mlp.js';
import type { Sb3Box } from './sb3.js';

/** Where an imported teacher came from. */
export interface ImportSource {
  /** The file as given. */
  file: string;
  /** SHA-256 of the file (hex). */
  sha256: string;
  /** 'sb3' (a Stable-Baselines3 / RL Zoo .zip) or 'state_dict' (torch.save). */
  format: 'sb3' | 'state_dict';
  /** The SB3 policy class, e.g. 'stable_baselines3.dqn.policies.CnnPolicy'; null for state dicts. */
  policyClass: string | null;
  /** The zip's _stable_baselines3_version; null for state dicts. */
  sb3Version: string | null;
  /** How the environment was chosen (or why none was), in words. */
  envSource: string;
  /** The observation space the zip's data describes; null for state dicts. */
  observationSpace: Sb3Box | null;
  /** policy_kwargs.normalize_images (SB3's default true); null for state dicts. */
  normalizeImages: boolean | null;
  /** The Zoo's config.yml that was read, or null. */
  zooConfig: string | null;
  /** The Zoo's args.yml that was read, or null. */
  zooArgs: string | null;
}

/** The card `import` writes. */
export interface ImportedTeacherCard extends Provenance {
  /** Always 'teacher'. */
  kind: 'teacher';
  algorithm: 'DQN' | 'QR-DQN';
  /** The environment id, or null when none of qdistill's fits (commands that play the file then need --env). */
  env: string | null;
  /** The layers, e.g. '256-256', or 'conv32-64-64-512' for a NatureCNN with a linear head. */
  network: string;
  parameters: number;
  activation: Activation;
  /** QR-DQN's quantiles per action. */
  quantiles?: number;
  /** What the file takes: the shape of one observation, its layout, and the preprocessing SB3 applied (now in the graph). */
  input: { shape: number[]; layout: 'flat' | 'hwc' | 'nchw' | null; preprocessing: string | null };
  source: ImportSource;
  /** Hyperparameters from the Zoo's config.yml under their Zoo (snake_case) names; {} when there is none. */
  config: Record<string, unknown>;
  /** The Zoo's args.yml (the training command's arguments), or null. */
  args: Record<string, unknown> | null;
}

/** Writes `card` as card.json beside `modelPath` (atomically) and returns its path. */
export function writeImportCard(modelPath: string, card: ImportedTeacherCard): string {
  const path = join(dirname(modelPath), CARD_FILE);
  writeJsonAtomic(path, card);
  return path;
}
