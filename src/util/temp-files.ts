// Temporary files and folders: their names, the registry that removes them on every way out of the process,
// and the sweep that removes the ones a killed process left behind.
//
// A temp name is `.tmp-<name>-<pid>-<8 hex digits>`, always in the folder of the file it becomes, so that
// its rename is atomic and so that anyone can tell whose it is. The live ones are registered here and removed
// on an error (by their writer), on process 'exit' (normal end, process.exit, an uncaught exception) and on
// SIGINT/SIGTERM/SIGHUP once installSignalCleanup() is called (the CLI calls it; a library must not take a
// host program's signals unasked). kill -9 and power loss run nothing: sweepStaleTemps() at the next start of
// a run writing into that folder removes what they left — the temps of processes that are no longer alive,
// and our own pid's from before this process started (a pid reused after a crash).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What every temp name starts with. */
export const TEMP_PREFIX = '.tmp-';

/**
 * The file inside a staged output folder that says its set is complete and is being moved into place
 * (src/util/output-folder.ts). A stale staged folder holding it is finished, never swept away.
 */
export const COMMIT_MARKER = '.qdistill-commit';

/** `.tmp-<name>-<pid>-<hex>`: the name, its writer's pid, 8 random hex digits. */
const TEMP_NAME = /^\.tmp-(.*)-(\d+)-([0-9a-f]{8})$/;

/** A fresh temp name for `name` (a file or folder name), carrying this process's pid. */
export function tempNameFor(name: string): string {
  return `${TEMP_PREFIX}${name}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The writer's pid of a temp name, or undefined when `name` is not one. */
export function tempOwner(name: string): number | undefined {
  const match = TEMP_NAME.exec(name);
  return match ? Number(match[2]) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup on the way out.

const liveTemps = new Set<string>();
const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

/** Runs every cleanup once, synchronously (the only kind 'exit' and signal handlers can run), ignoring errors. */
function runCleanups(): void {
  // Temps first: a lock's cleanup then finds the folder as the run found it.
  for (const path of [...liveTemps]) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Best effort: the sweep at the next start removes what is left.
    }
    liveTemps.delete(path);
  }
  for (const cleanup of [...exitCleanups]) {
    try {
      cleanup();
    } catch {
      // as above
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', runCleanups);
}

/** Registers a temp file or folder: it is removed on process exit unless released first. */
export function registerTemp(path: string): void {
  installExitHook();
  liveTemps.add(path);
}

/** The temp was renamed into place or removed by its writer: nothing left to clean. */
export function releaseTemp(path: string): void {
  liveTemps.delete(path);
}

/** Removes a registered temp now (its writer failed) and forgets it. Never throws. */
export function removeTemp(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // The sweep at the next start removes it.
  }
  liveTemps.delete(path);
}

/** Runs `cleanup` (synchronous) on process exit; returns the function that unregisters it. Used for locks. */
export function onProcessExit(cleanup: () => void): () => void {
  installExitHook();
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

/** The temps registered now (tests and diagnostics). */
export function registeredTemps(): string[] {
  return [...liveTemps];
}

let signalsInstalled = false;

/**
 * For a program's entry point (the CLI): on SIGINT, SIGTERM or SIGHUP remove every registered temp and
 * release every lock, then die of the same signal (default action, so the exit status stays 128 + n).
 */
export function installSignalCleanup(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const signal of signals) {
    const handler = () => {
      // Another handler owns this signal (serve drains its connections first): it ends the process, and the
      // 'exit' hook removes the temps then.
      if (process.listenerCount(signal) > 1) return;
      runCleanups();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The sweep.

/** Whether a process with this pid exists (EPERM: it does, another user's). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When this process started, in ms since the epoch (a temp of our pid older than this is a dead namesake's). */
const PROCESS_STARTED_MS = Date.now() - process.uptime() * 1000;

/** Whether the temp `name` in `dir` is left over: its writer is dead, or it is our pid's from before we started. */
function isStale(dir: string, name: string, pid: number): boolean {
  if (pid === process.pid) {
    if (liveTemps.has(join(dir, name))) return false;
    try {
      // A second of slack for clock granularity: a temp this process made has an mtime after its start.
      return statSync(join(dir, name)).mtimeMs < PROCESS_STARTED_MS - 1000;
    } catch {
      return false;
    }
  }
  return !processAlive(pid);
}

/**
 * Removes the temp files and folders in `dir` that no live process is writing (see the file comment) and
 * returns their names. A stale staged output folder that holds COMMIT_MARKER was interrupted while its set
 * was moved into place: it is handed to `finishCommit` (the output-folder module completes the move) and
 * never removed here. A missing or unreadable folder has nothing to sweep.
 */
export function sweepStaleTemps(dir: string, finishCommit?: (name: string) => void): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempOwner(name);
    if (pid === undefined || !isStale(dir, name, pid)) continue;
    if (existsSync(join(dir, name, COMMIT_MARKER))) {
      finishCommit?.(name);
      continue;
    }
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Not ours to remove (permissions): leave it.
    }
  }
  return removed;
}

const sweptFolders = new Set<string>();

/** sweepStaleTemps once per folder per process: the first write into a folder sweeps it. */
export function sweepOnce(dir: string): void {
  const key = resolve(dir);
  if (sweptFolders.has(key)) return;
  sweptFolders.add(key);
  sweepStaleTemps(dir);
}
