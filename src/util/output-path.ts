// Checking where a run will write before it starts, so that a bad --out ends the run in one line at once
// instead of after an hour of work: an empty name, a folder where a file goes (or the reverse), a device
// such as /dev/null, a read-only or unwritable place.
import { accessSync, closeSync, constants, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { fileSystemErrorMessage } from './fs-errors.js';
import { tempNameFor } from './temp-files.js';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new UsageError('a part of the path is a file, not a folder', path);
    throw new UsageError(fileSystemErrorMessage(error) ?? 'cannot be checked', path);
  }
}

/**
 * Creates and removes a file in `dir`: the one check that sees every reason a write would fail there
 * (permissions, a read-only mount, sysfs, ACLs), where access() answers for root as if all were writable.
 */
function probeWritable(dir: string, what: string, path: string): void {
  // A temp name: if the process is killed right here, the next run's sweep removes it.
  const probe = join(dir, tempNameFor('write-probe'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    throw new UsageError(`${what} cannot be written in ${dir}: ${fileSystemErrorMessage(error) ?? 'not writable'}`, path);
  }
  rmSync(probe, { force: true });
}

/** The nearest folder at or above `path` that exists: where the missing folders would be created. */
function checkWritableAncestor(start: string, what: string, path: string): void {
  let dir = resolve(start);
  for (;;) {
    const stats = statOrUndefined(dir);
    if (stats) {
      if (!stats.isDirectory()) throw new UsageError(`${what} cannot be made: ${dir} is a file, not a folder`, path);
      probeWritable(dir, what, path);
      return;
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFile()) return 'a file';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The checks on a file's name and what is there now, without touching the disk beyond a stat: a name is
 * given, it does not end in a separator, and nothing but a regular file is at `path`. Every atomic write runs
 * these; {@link checkOutputFile} adds the check that the folder is writable.
 */
export function checkOutputTarget(path: string, what = 'output file'): Stats | undefined {
  if (path.trim() === '') throw new UsageError(`${what} needs a file name`);
  if (/[/\\]$/.test(path)) throw new UsageError(`${what} names a folder; give a file name`, path);
  const stats = statOrUndefined(path);
  if (stats && !stats.isFile()) throw new UsageError(`${what} is ${describeKind(stats)}; give a file name`, path);
  return stats;
}

/**
 * Checks that a file can be written at `path`: {@link checkOutputTarget}, and the folder it goes in exists (or
 * can be made) and is writable. `what` names it in the message, e.g. "--out".
 */
export function checkOutputFile(path: string, what = 'output file'): void {
  const stats = checkOutputTarget(path, what);
  checkWritableAncestor(dirname(path), what, path);
  if (stats) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw new UsageError(`${what} cannot be replaced: ${fileSystemErrorMessage(error) ?? 'not writable'}`, path);
    }
  }
}

/** Checks that a folder can be written at `path`: a name is given, nothing but a folder is there, and it (or the nearest existing folder above it) is writable. */
export function checkOutputFolder(path: string, what = 'output folder'): void {
  if (path.trim() === '') throw new UsageError(`${what} needs a folder name`);
  const stats = statOrUndefined(path);
  if (stats && !stats.isDirectory()) throw new UsageError(`${what} is ${describeKind(stats)}; give a folder`, path);
  checkWritableAncestor(path, what, path);
}
