// Pieces several commands share: env id validation and the JSON config file.
import { existsSync, readFileSync } from 'node:fs';
export { checkEnvId } from '../envs/registry.js';
export { commandLine } from '../util/command-line.js';
import { UsageError } from '../util/errors.js';

export function readJsonFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new UsageError('file not found', path);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`not valid JSON: ${(error as Error).message}`, path);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('expected a JSON object', path);
  return value as Record<string, unknown>;
}

