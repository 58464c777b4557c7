// Pieces several commands share: env id validation and the JSON config file.
import { existsSync, readFileSync } from 'node:fs';
import { envIds } from '../envs/registry.js';
import { UsageError } from '../util/errors.js';

export function checkEnvId(id: string): string {
  if (!envIds().includes(id)) throw new UsageError(`unknown environment '${id}' (known: ${envIds().join(', ')})`);
  return id;
}

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

/** The command line as typed, for model cards. */
export function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['qdistill', ...process.argv.slice(2)].map(quote).join(' ');
}
