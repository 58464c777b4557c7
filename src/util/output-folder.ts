// Output folders: a lock so that two runs cannot write into one folder at once, and staging so that a set of
// files that belongs together (a student with its card and dataset, a report's md/json/html, a site with its
// wasm) appears whole or not at all.
//
// The lock is `<folder>/.qdistill.lock`, made by hard-linking a complete temp file to that name (link fails
// if the name exists, so taking it is one atomic step and the file is never seen half-written). It holds the
// pid and, on Linux, the process's start time, so a lock left by a killed process — its pid dead, or reused by
// a process that started later — is taken over; a live holder is refused in one line, exit 2. A lock is
// re-entrant within a process (a pipeline that writes a report into the folder its stage locked).
//
// Staging: the files are written into `<folder>/.tmp-staging-<pid>-<hex>/` (the same filesystem, so moves are
// renames). On success the set's names are written into a marker file in it (COMMIT_MARKER, one atomic write:
// the commit point), then each entry is renamed over its final name — replacing a file of that name, or a
// folder of that name whole — and the staging folder is removed. Anything else already in the folder (train's
// checkpoint, a user's files, other runs' outputs) is left as it is. On failure the staging folder is removed
// and the folder is as before; a folder the run created is removed again if nothing else is in it. If the
// process dies before the commit point, the next run into the folder sweeps the staged files away; if it dies
// after, the next run finishes the moves first, so the folder always ends with the old set or the new one.
import { closeSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { naming, syncDirectory, writeJsonAtomic } from './atomic-write.js';
import { UsageError } from './errors.js';
import { checkOutputFolder } from './output-path.js';
import { COMMIT_MARKER, onProcessExit, processAlive, registerTemp, removeTemp, sweepStaleTemps, tempNameFor, tempOwner } from './temp-files.js';

/** The lock file's name inside the folder it locks. */
export const LOCK_FILE = '.qdistill.lock';

/** What the lock file holds. */
interface LockRecord {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), where Linux gives it. */
  startTime?: string;
  command: string;
  createdAt: string;
}

/** A process's start time (field 22 of /proc/<pid>/stat), or undefined off Linux or if it is gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `record` is still running (a reused pid of a later process is not it). */
function holderAlive(record: LockRecord): boolean {
  if (!processAlive(record.pid)) return false;
  if (record.startTime === undefined) return true;
  const now = startTimeOf(record.pid);
  return now === undefined || now === record.startTime;
}

function readLockRecord(path: string): { text: string; record: LockRecord | null } | 'missing' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const record = JSON.parse(text) as LockRecord;
    return { text, record: Number.isInteger(record?.pid) ? record : null };
  } catch {
    return { text, record: null };
  }
}

/** A lock held by this process on one folder. */
export interface FolderLock {
  /** The folder locked. */
  readonly dir: string;
  /** Releases this hold; the lock file goes with the last one. Safe to call twice. */
  release(): void;
}

interface Held {
  count: number;
  text: string;
  /** The first folder this process made for the lock (the folder or a parent), removed again if left empty. */
  created: string | undefined;
  unregister: () => void;
}

const held = new Map<string, Held>();

function removeLockFile(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** Creates `path` holding `text` if no file of that name exists; false if one does. Atomic. */
function createExclusive(dir: string, path: string, text: string): boolean {
  const temp = join(dir, tempNameFor(LOCK_FILE));
  registerTemp(temp);
  try {
    return createExclusiveVia(temp, path, text);
  } catch (error) {
    throw naming(error, path);
  } finally {
    removeTemp(temp);
  }
}

function createExclusiveVia(temp: string, path: string, text: string): boolean {
  writeSynced(temp, text);
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  // A filesystem without hard links: exclusive create (a crash mid-write leaves a lock without a pid,
  // which the next run takes over as stale).
  try {
    writeSynced(path, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    rmSync(path, { force: true });
    throw error;
  }
  return true;
}

/** Creates `path` (which must not exist) holding `text`, fsynced. */
function writeSynced(path: string, text: string): void {
  const fd = openSync(path, 'wx');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Locks `dir` for this process (making the folder if needed), re-entrantly. UsageError, one line, when
 * another live qdistill process holds it; a stale lock (its process gone) is taken over.
 */
export function lockFolder(dir: string): FolderLock {
  checkOutputFolder(dir);
  const key = resolve(dir);
  const path = join(dir, LOCK_FILE);
  const handle = (): FolderLock => {
    let released = false;
    return {
      dir,
      release: () => {
        if (released) return;
        released = true;
        releaseHold(key, dir, path);
      },
    };
  };
  const mine = held.get(key);
  if (mine) {
    mine.count++;
    return handle();
  }
  const created = mkdirSync(dir, { recursive: true });
  const record: LockRecord = { pid: process.pid, startTime: startTimeOf(process.pid), command: process.argv.slice(1).join(' '), createdAt: new Date().toISOString() };
  const text = JSON.stringify(record) + '\n';
  try {
    for (let attempt = 0; ; attempt++) {
      if (createExclusive(dir, path, text)) break;
      const other = readLockRecord(path);
      if (other === 'missing') continue; // released between our attempt and the read
      if (other.record && holderAlive(other.record) && other.record.pid !== process.pid) {
        throw new UsageError(`${dir} is in use by another qdistill run (pid ${other.record.pid})`);
      }
      if (attempt >= 5) throw new UsageError(`cannot take the lock ${LOCK_FILE}: it keeps changing`, dir);
      // Stale: move it aside (atomic), and put it back if what was moved is not the stale lock we read
      // (another run took the stale lock over between our read and the move).
      const aside = join(dir, tempNameFor(`${LOCK_FILE}.stale`));
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      try {
        if (readFileSync(aside, 'utf8') !== other.text) linkSync(aside, path);
      } catch {
        // Someone holds the name again: the next attempt reads who.
      } finally {
        rmSync(aside, { force: true });
      }
    }
  } catch (error) {
    removeIfEmpty(dir, created);
    throw error;
  }
  const onExit = () => {
    removeLockFile(path, text);
    removeIfEmpty(dir, created);
  };
  held.set(key, { count: 1, text, created, unregister: onProcessExit(onExit) });
  return handle();
}

/** Removes `dir` and its parents up to `top` (the first folder mkdir made) while they are empty. */
function removeIfEmpty(dir: string, top: string | undefined): void {
  if (top === undefined) return;
  const last = resolve(top);
  for (let folder = resolve(dir); ; folder = dirname(folder)) {
    try {
      if (readdirSync(folder).length > 0) return;
      rmdirSync(folder);
    } catch {
      return; // in use or gone: leave it
    }
    if (folder === last || dirname(folder) === folder) return;
  }
}

function releaseHold(key: string, dir: string, path: string): void {
  const hold = held.get(key);
  if (!hold || --hold.count > 0) return;
  held.delete(key);
  hold.unregister();
  removeLockFile(path, hold.text);
  removeIfEmpty(dir, hold.created);
}

// ---------------------------------------------------------------------------------------------------------
// Staging.

/** Renames each staged entry over its final name (a folder of that name is moved aside whole first). */
function moveEntries(dir: string, staging: string, entries: readonly string[]): void {
  for (const name of entries) {
    const from = join(staging, name);
    if (!existsSync(from)) continue; // moved before an interruption
    const to = join(dir, name);
    let existing: ReturnType<typeof lstatSync> | undefined;
    try {
      existing = lstatSync(to);
    } catch {
      existing = undefined;
    }
    if (existing && (existing.isDirectory() || statSync(from).isDirectory())) {
      const aside = join(staging, `.old-${name}`);
      rmSync(aside, { recursive: true, force: true });
      renameSync(to, aside);
    }
    renameSync(from, to);
  }
  syncDirectory(dir);
}

/** Finishes the moves of a staged folder whose process died after its commit point, then removes it. */
function finishCommit(dir: string, name: string): void {
  const staging = join(dir, name);
  try {
    const { entries } = JSON.parse(readFileSync(join(staging, COMMIT_MARKER), 'utf8')) as { entries: string[] };
    moveEntries(dir, staging, entries.filter((e) => typeof e === 'string' && !e.includes('/') && !e.includes('\\')));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Sweeps `dir` under its lock: finishes interrupted commits and removes temps of dead processes. */
export function recoverFolder(dir: string): string[] {
  return sweepStaleTemps(dir, (name) => finishCommit(dir, name));
}

/** lockFolder and then recoverFolder: what a stage that writes into a folder over a long run takes first (train). */
export function lockOutputFolder(dir: string): FolderLock {
  const lock = lockFolder(dir);
  try {
    recoverFolder(dir);
  } catch (error) {
    lock.release();
    throw error;
  }
  return lock;
}

/** A set of files being written into a staging folder, to be moved into `dir` as one (see the file comment). */
export class StagedFolder {
  private finished = false;

  /** Use stageFolder() or writeOutputFolder(). */
  constructor(
    /** The output folder the set ends up in. */
    readonly dir: string,
    /** The folder the files are written into until commit. */
    readonly staging: string,
    private readonly lock: FolderLock,
  ) {}

  /** Where to write the entry `names` (joined) now: inside the staging folder. */
  path(...names: string[]): string {
    return join(this.staging, ...names);
  }

  /** Where the entry `names` will be after commit. */
  finalPath(...names: string[]): string {
    return join(this.dir, ...names);
  }

  /** Moves every staged entry into the folder (see the file comment); returns their names. */
  commit(): string[] {
    if (this.finished) throw new Error('this staged folder was already committed or abandoned');
    const entries = readdirSync(this.staging).filter((name) => name !== COMMIT_MARKER && tempOwner(name) === undefined && !name.startsWith('.old-'));
    // Make the staged entries durable before the commit point: files are fsynced by their writes, the
    // folders that hold them here.
    for (const name of entries) if (statSync(this.path(name)).isDirectory()) syncDirectory(this.path(name));
    syncDirectory(this.staging);
    writeJsonAtomic(this.path(COMMIT_MARKER), { entries });
    moveEntries(this.dir, this.staging, entries);
    this.finish();
    return entries;
  }

  /** Removes the staging folder and releases the lock; the folder is as it was. No-op after commit. */
  abandon(): void {
    if (!this.finished) this.finish();
  }

  private finish(): void {
    this.finished = true;
    removeTemp(this.staging);
    this.lock.release();
  }
}

/** Locks `dir`, recovers it (recoverFolder) and makes a staging folder in it. */
export function stageFolder(dir: string): StagedFolder {
  const lock = lockOutputFolder(dir);
  const staging = join(dir, tempNameFor('staging'));
  try {
    registerTemp(staging);
    mkdirSync(staging);
  } catch (error) {
    removeTemp(staging);
    lock.release();
    throw error;
  }
  return new StagedFolder(dir, staging, lock);
}

/**
 * Runs `write` with a staged folder for `dir` and moves what it wrote into `dir` when it returns; when it
 * throws, nothing of it is left. Returns what `write` returned.
 */
export async function writeOutputFolder<T>(dir: string, write: (staged: StagedFolder) => Promise<T> | T): Promise<T> {
  const staged = stageFolder(dir);
  try {
    const result = await write(staged);
    staged.commit();
    return result;
  } catch (error) {
    throw namingFinal(error, staged);
  } finally {
    staged.abandon();
  }
}

/** writeOutputFolder for writers that are synchronous. */
export function writeOutputFolderSync<T>(dir: string, write: (staged: StagedFolder) => T): T {
  const staged = stageFolder(dir);
  try {
    const result = write(staged);
    staged.commit();
    return result;
  } catch (error) {
    throw namingFinal(error, staged);
  } finally {
    staged.abandon();
  }
}

/** A filesystem error about a staged file, made to name the file's final path (the staged one is gone). */
function namingFinal<E>(error: E, staged: StagedFolder): E {
  const path = (error as { path?: unknown } | null)?.path;
  if (typeof path === 'string' && (path === staged.staging || path.startsWith(staged.staging + sep))) {
    naming(error, staged.dir + path.slice(staged.staging.length));
  }
  return error;
}
