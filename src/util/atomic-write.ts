// Every file the toolkit writes goes through here: temp file in the same folder, fsync, rename, then fsync
// the folder so the rename itself survives a crash. Readers never see half a file, and no temp file outlives
// its writer: it is removed when the write fails, registered for removal on exit (src/util/temp-files.ts), and
// the first write into a folder sweeps the temps that killed processes left there.
// A set of files that belongs together (a student folder, a report, a site) is staged and moved into place
// as one by src/util/output-folder.ts, which writes each of its files through here.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkOutputFile, checkOutputTarget } from './output-path.js';
import { registerTemp, releaseTemp, removeTemp, sweepOnce, tempNameFor } from './temp-files.js';

/**
 * checkOutputFile, then the sweep of the output's folder (stale temps of killed runs): what a command that
 * writes one file does before its work.
 */
export function prepareOutputFile(path: string, what = 'output file'): void {
  checkOutputFile(path, what);
  sweepOnce(dirname(path));
}

/** A filesystem error from writing `path`'s temp file, made to name `path` itself (the CLI prints the path). */
export function naming<E>(error: E, path: string): E {
  const e = error as { code?: unknown; path?: unknown; dest?: unknown } | null;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    e.path = path;
    delete e.dest;
  }
  return error;
}

export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  checkOutputTarget(path);
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw naming(error, dir);
  }
  sweepOnce(dir);
  const temp = join(dir, tempNameFor(basename(path)));
  const chunks = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data) : data];
  registerTemp(temp);
  try {
    const fd = openSync(temp, 'wx');
    try {
      for (const chunk of chunks) {
        let written = 0;
        while (written < chunk.byteLength) written += writeSync(fd, chunk, written);
      }
      fsyncSync(fd);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // The write's error is the one to report.
      }
      throw error;
    }
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    removeTemp(temp);
    throw naming(error, path);
  }
  releaseTemp(temp);
  syncDirectory(dir);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** fsync a folder so that the renames in it survive a crash. */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
