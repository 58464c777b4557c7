import { fileURLToPath } from 'node:url';

/** Folder of the committed models (models/<slug>/), from src/ or dist/ alike. */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** 'MinAtar/Breakout' → 'minatar-breakout' */
export function modelSlug(envId: string): string {
  return envId.toLowerCase().replace(/[^a-z0-9.]+/g, '-');
}
