import { UsageError } from './errors.js';
import { readInputText } from './input-file.js';

/** The largest JSON file read (a hyperparameter file, a card): far above any real one. */
const MAX_JSON_BYTES = 64 * 2 ** 20;

/** A JSON object read from a user's file; anything else is a one-line UsageError naming the file. */
export function readJsonFile(path: string): Record<string, unknown> {
  const text = readInputText(path, 'JSON file', { maxBytes: MAX_JSON_BYTES });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`not valid JSON: ${(error as Error).message}`, path);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('expected a JSON object', path);
  return value as Record<string, unknown>;
}
