// Output-folder locks, staging and the temp-file sweep, with real processes for live and dead pids and real
// files: stale locks and temps of killed processes, a commit interrupted between its commit point and its last
// rename (finished by the next run). Two CLI runs into one folder are in crash.test.ts (it reuses a training run).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { UsageError } from '../../src/util/errors.js';
import { LOCK_FILE, lockFolder, recoverFolder, writeOutputFolder } from '../../src/util/output-folder.js';
import { COMMIT_MARKER, registeredTemps, sweepStaleTemps } from '../../src/util/temp-files.js';
import { ROOT } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-lock-'));
const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
after(() => {
  sleeper.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

test('a lock left by a dead process is taken over; a live holder is refused; a lock is re-entrant within a process', () => {
  const stale = join(dir, 'stale');
  mkdirSync(stale);
  writeFileSync(join(stale, LOCK_FILE), JSON.stringify({ pid: deadPid(), command: 'qdistill train', createdAt: '' }));
  const lock = lockFolder(stale);
  assert.equal(JSON.parse(readFileSync(join(stale, LOCK_FILE), 'utf8')).pid, process.pid);
  const again = lockFolder(stale);
  again.release();
  assert.ok(existsSync(join(stale, LOCK_FILE)), 'released with a hold still open');
  lock.release();
  assert.deepEqual(readdirSync(stale), []);

  const busy = join(dir, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, command: 'qdistill distill', createdAt: '' }));
  assert.throws(() => lockFolder(busy), (e: Error) => e instanceof UsageError && e.message === `${busy} is in use by another qdistill run (pid ${sleeper.pid})`);
  assert.deepEqual(readdirSync(busy), [LOCK_FILE], 'the refused run left something');
});

test('the sweep removes temps of dead processes and our pid\'s from before this process, and keeps a live process\'s', () => {
  const folder = join(dir, 'sweep');
  mkdirSync(folder);
  const dead = `.tmp-checkpoint.qdb-${deadPid()}-0123abcd`;
  const live = `.tmp-checkpoint.qdb-${sleeper.pid}-89abcdef`;
  const oursOld = `.tmp-card.json-${process.pid}-00000000`;
  const deadFolder = `.tmp-staging-${deadPid()}-deadbeef`;
  for (const name of [dead, live, oursOld, 'card.json', '.tmp-not-a-temp']) writeFileSync(join(folder, name), 'x');
  mkdirSync(join(folder, deadFolder));
  writeFileSync(join(folder, deadFolder, 'student.onnx'), 'x');
  const longAgo = new Date(Date.now() - 3600_000);
  utimesSync(join(folder, oursOld), longAgo, longAgo); // a process with our pid that crashed an hour ago
  assert.deepEqual(sweepStaleTemps(folder).sort(), [dead, deadFolder, oursOld].sort());
  assert.deepEqual(readdirSync(folder).sort(), ['.tmp-not-a-temp', live, 'card.json'].sort());
});

test('a commit interrupted after its commit point is finished by the next run; one interrupted before it is swept away', () => {
  const folder = join(dir, 'commit');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  writeFileSync(join(folder, 'a.txt'), 'old a');
  writeFileSync(join(folder, 'b.txt'), 'old b');
  writeFileSync(join(folder, 'sub', 'old.txt'), 'old');
  writeFileSync(join(folder, 'mine.txt'), 'the user\'s');
  // Killed after its marker and the move of b.txt: a.txt and sub/ are still staged.
  const committed = join(folder, `.tmp-staging-${deadPid()}-0badc0de`);
  mkdirSync(join(committed, 'sub'), { recursive: true });
  writeFileSync(join(committed, 'a.txt'), 'new a');
  writeFileSync(join(committed, 'sub', 'new.txt'), 'new');
  writeFileSync(join(committed, COMMIT_MARKER), JSON.stringify({ entries: ['a.txt', 'b.txt', 'sub'] }));
  writeFileSync(join(folder, 'b.txt'), 'new b');
  // Killed while writing: no marker.
  const uncommitted = join(folder, `.tmp-staging-${deadPid()}-1badc0de`);
  mkdirSync(uncommitted);
  writeFileSync(join(uncommitted, 'a.txt'), 'half');
  recoverFolder(folder);
  assert.deepEqual(readdirSync(folder).sort(), ['a.txt', 'b.txt', 'mine.txt', 'sub']);
  assert.equal(readFileSync(join(folder, 'a.txt'), 'utf8'), 'new a');
  assert.equal(readFileSync(join(folder, 'b.txt'), 'utf8'), 'new b');
  assert.deepEqual(readdirSync(join(folder, 'sub')), ['new.txt'], 'a staged folder replaces its namesake whole');
  assert.equal(readFileSync(join(folder, 'mine.txt'), 'utf8'), 'the user\'s');
});

test('a staged write that fails leaves the folder as it was (and removes a folder it created); one that succeeds replaces its names only', async () => {
  const fresh = join(dir, 'fresh', 'out');
  await assert.rejects(
    writeOutputFolder(fresh, (staged) => {
      writeFileAtomic(staged.path('student.onnx'), 'model');
      throw new UsageError('the run failed');
    }),
    /the run failed/,
  );
  assert.ok(!existsSync(join(dir, 'fresh')), 'a folder the failed run made is left');
  const kept = join(dir, 'kept');
  mkdirSync(kept);
  writeFileSync(join(kept, 'report.md'), 'old');
  writeFileSync(join(kept, 'notes.txt'), 'the user\'s');
  await assert.rejects(writeOutputFolder(kept, (staged) => {
    writeFileAtomic(staged.path('report.md'), 'new');
    throw new Error('disk full');
  }));
  assert.deepEqual(readdirSync(kept).sort(), ['notes.txt', 'report.md']);
  assert.equal(readFileSync(join(kept, 'report.md'), 'utf8'), 'old');
  const written = await writeOutputFolder(kept, (staged) => {
    writeFileAtomic(staged.path('report.md'), 'new');
    writeFileAtomic(staged.path('report.json'), '{}');
    return staged.finalPath('report.md');
  });
  assert.equal(written, join(kept, 'report.md'));
  assert.deepEqual(readdirSync(kept).sort(), ['notes.txt', 'report.json', 'report.md']);
  assert.equal(readFileSync(join(kept, 'report.md'), 'utf8'), 'new');
  assert.deepEqual(registeredTemps(), []);
});

test('writeFileAtomic refuses an empty name or a folder before writing, and leaves no temp file when a write fails', () => {
  const folder = join(dir, 'atomic');
  mkdirSync(join(folder, 'taken'), { recursive: true });
  assert.throws(() => writeFileAtomic('', 'x'), (e: Error) => e instanceof UsageError && /needs a file name/.test(e.message));
  assert.throws(() => writeFileAtomic(join(folder, 'taken'), 'x'), (e: Error) => e instanceof UsageError && /is a folder/.test(e.message));
  // The parent of the target is a file: one line naming the target, not a temp file.
  writeFileSync(join(folder, 'file'), 'x');
  assert.throws(() => writeFileAtomic(join(folder, 'file', 'x.onnx'), 'x'), (e: Error) => e instanceof UsageError && /is a file, not a folder \(.*file\/x\.onnx\)$/.test(e.message));
  assert.deepEqual(readdirSync(folder).sort(), ['file', 'taken']);
  assert.deepEqual(registeredTemps(), []);
});

test('SIGTERM and SIGINT with the signal cleanup installed: the lock, the staged set and the temp files go, and the process dies of the signal', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const out = join(dir, `signal-${signal}`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/files/fixtures/hold-folder.ts', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('ready') && resolve()));
    assert.ok(readdirSync(out).length >= 3, 'the fixture holds a lock, a staged folder and a temp file');
    child.kill(signal);
    const [code, received] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
    assert.equal(received, signal, `exit code ${code}`);
    assert.ok(!existsSync(out), `${out} holds ${existsSync(out) ? readdirSync(out).join(', ') : ''}`);
  }
});
