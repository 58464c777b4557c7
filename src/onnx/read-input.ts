// Reading a model file the user named: a regular file (not a FIFO, which would block, nor a device such as
// /dev/zero, which never ends, nor a folder) of at most MAX_MODEL_BYTES, checked before a byte is read
// (src/util/input-file.ts). Each refusal is one line naming the file.
import { statSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { fileSystemErrorMessage } from '../util/fs-errors.js';
import { readInputFile } from '../util/input-file.js';
import { MAX_MODEL_BYTES } from './limits.js';
import { OnnxFormatError } from './schema.js';

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 3 : 0)} MiB`;
}

/** The refusal of a model of `bytes` bytes, over MAX_MODEL_BYTES. */
export function modelTooLarge(bytes: number, where?: string): OnnxFormatError {
  return new OnnxFormatError(`model is ${mib(bytes)}; qdistill reads models up to ${mib(MAX_MODEL_BYTES)}`, where);
}

/**
 * The bytes of the model file at `path`. A missing file is `notFound` (one line, the path appended); a file
 * over MAX_MODEL_BYTES, a folder, a FIFO or a device is refused without being read.
 */
export function readModelInput(path: string, notFound: string): Buffer {
  let size: number;
  let regular: boolean;
  try {
    const stats = statSync(path);
    size = stats.size;
    regular = stats.isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(notFound, path);
    throw new UsageError(`model file: ${fileSystemErrorMessage(error) ?? 'cannot be read'}`, path);
  }
  if (regular && size > MAX_MODEL_BYTES) throw modelTooLarge(size, path);
  return readInputFile(path, 'model file', { maxBytes: MAX_MODEL_BYTES });
}
