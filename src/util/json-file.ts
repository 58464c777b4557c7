import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

/** A JSON object read from a user's file; anything else is a one-line UsageError naming the file. */
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
