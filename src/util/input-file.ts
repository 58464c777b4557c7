// Reading a file the user named: its type and size are checked before a byte is read, so that a FIFO, a
// device (/dev/zero), a folder or a file far larger than anything qdistill reads is a one-line refusal
// instead of a hang or an exhausted heap.
import { closeSync, fstatSync, openSync, readSync, statSync, constants, type Stats } from 'node:fs';
import { UsageError } from './errors.js';
import { fileSystemErrorMessage } from './fs-errors.js';
import { formatBytes } from './memory-budget.js';

/** Largest file any reader takes unless it says otherwise: 2 GiB, Node's limit for one Buffer. */
export const MAX_INPUT_FILE_BYTES = 2 ** 31 - 1;

/** Options of {@link checkInputFile} and {@link readInputFile}. */
export interface InputFileOptions {
  /** Largest size accepted, in bytes (default {@link MAX_INPUT_FILE_BYTES}). */
  maxBytes?: number;
}

/** What the path is, in words, when it is not a regular file. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function refuse(stats: Stats, what: string, path: string, maxBytes: number): void {
  if (!stats.isFile()) throw new UsageError(`${what} is ${kindOf(stats)}, not a file`, path);
  if (stats.size > maxBytes) {
    throw new UsageError(`${what} is ${formatBytes(stats.size)}, larger than the ${formatBytes(maxBytes)} qdistill reads`, path);
  }
}

/**
 * Checks that `path` is a regular file no larger than `maxBytes`, without opening it (opening a FIFO blocks).
 * Throws a one-line UsageError naming `what` and the path otherwise.
 */
export function checkInputFile(path: string, what: string, options: InputFileOptions = {}): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what}: ${code === 'ENOENT' ? 'no such file' : (fileSystemErrorMessage(error) ?? 'cannot be read')}`, path);
  }
  refuse(stats, what, path, options.maxBytes ?? MAX_INPUT_FILE_BYTES);
  return stats;
}

/**
 * Reads a whole file the user named, after {@link checkInputFile}. The file is opened non-blocking and
 * checked again through its descriptor, so a path swapped for a FIFO in between cannot block the read.
 */
export function readInputFile(path: string, what: string, options: InputFileOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? MAX_INPUT_FILE_BYTES;
  checkInputFile(path, what, options);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UsageError(`${what}: ${fileSystemErrorMessage(error) ?? 'cannot be read'}`, path);
  }
  try {
    const stats = fstatSync(fd);
    refuse(stats, what, path, maxBytes);
    const buffer = Buffer.allocUnsafe(stats.size);
    let offset = 0;
    while (offset < buffer.length) {
      const n = readSync(fd, buffer, offset, buffer.length - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return offset === buffer.length ? buffer : buffer.subarray(0, offset);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${what}: ${fileSystemErrorMessage(error) ?? 'cannot be read'}`, path);
  } finally {
    closeSync(fd);
  }
}

/** {@link readInputFile} as UTF-8 text. */
export function readInputText(path: string, what: string, options: InputFileOptions = {}): string {
  return readInputFile(path, what, options).toString('utf8');
}
