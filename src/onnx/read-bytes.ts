import { readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';

/** A model file's bytes; a missing or unreadable file is a one-line UsageError naming it. */
export function readModelBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError('model file not found or unreadable', file);
  }
}
