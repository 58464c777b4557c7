// A full disk, for real: a 2 MiB tmpfs filled to a few free pages (mounting needs root; without it, a file-size
// limit from `ulimit -f` makes writes fail with EFBIG instead). quantize, distill, compare and export web write
// into it; each must exit 2 with one line naming the condition, and leave neither temp files nor part of its set.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { listAll, ourLines, runCli } from './run.js';

const TEACHER = 'models/cartpole-v1-student-16x16/student.onnx';
const PAGE = 4096;
const base = mkdtempSync(join(tmpdir(), 'qdistill-full-'));
const mounted: string[] = [];
after(() => {
  for (const m of mounted) spawnSync('umount', [m]);
  rmSync(base, { recursive: true, force: true });
});

/** A 2 MiB tmpfs at a fresh folder with `free` pages left free (filler files under fill/), or null if it cannot mount. */
function fullDisk(name: string, free: number): string | null {
  const dir = join(base, name);
  mkdirSync(dir);
  // QDISTILL_TEST_NO_MOUNT=1 takes the file-size-limit path even where mounting works.
  const r = process.env.QDISTILL_TEST_NO_MOUNT ? { status: 1 } : spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  if (r.status !== 0) {
    rmdirSync(dir);
    return null;
  }
  mounted.push(dir);
  mkdirSync(join(dir, 'fill'));
  const page = Buffer.alloc(PAGE);
  let count = 0;
  try {
    for (;;) writeFileSync(join(dir, 'fill', String(count++)), page);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  count--; // the one that failed
  rmSync(join(dir, 'fill', String(count)), { force: true });
  for (let i = 1; i <= free; i++) rmSync(join(dir, 'fill', String(count - i)));
  return dir;
}

function unmount(dir: string): void {
  spawnSync('umount', [dir]);
  mounted.splice(mounted.indexOf(dir), 1);
}

/**
 * Runs `args(out)` against a full disk: `free` pages chosen so that the set's first files fit and a later one
 * does not. Without a tmpfs, the same command runs under a file-size limit of `limitKb` in a plain folder.
 */
async function onFullDisk(name: string, free: number, limitKb: number, args: (out: string) => string[]): Promise<void> {
  const disk = fullDisk(name, free);
  const root = disk ?? join(base, name);
  if (!disk) mkdirSync(root, { recursive: true });
  try {
    const out = join(root, 'out');
    const r = await runCli(args(out), disk ? {} : { shell: `ulimit -f ${limitKb}` });
    assert.equal(r.status, 2, `${name}: exit ${r.status}\n${r.stderr}`);
    const lines = ourLines(r.stderr);
    assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
    assert.match(lines[0], disk ? /^qdistill: no space left on the device \(.+\)$/ : /^qdistill: file too large for the file system \(.+\)$/);
    assert.ok(lines[0].includes(root), lines[0]);
    assert.ok(!lines[0].includes('.tmp-'), `the message names a temp file: ${lines[0]}`);
    // Nothing but the filler: no output, no temp file, no lock, no staged folder, no empty output folder.
    assert.deepEqual(listAll(root).filter((p) => !p.startsWith('fill')), [], `${name} left files`);
  } finally {
    if (disk) unmount(disk);
  }
}

test('a full disk: quantize, distill, compare and export web exit 2 in one line and leave nothing behind', async () => {
  await Promise.all([
    // The output file does not fit.
    onFullDisk('quantize', 0, 1, (out) => ['quantize', TEACHER, '--mode', 'dynamic', '--episodes', '0', '--out', `${out}.onnx`]),
    // The lock, student.onnx and card.json fit; dataset.qdb (11 KB) does not.
    onFullDisk('distill', 3, 8, (out) => ['distill', TEACHER, '--student', '4', '--out', out, '--rounds', '1', '--steps-per-round', '300', '--gradient-steps', '10', '--eval-episodes', '1', '--final-episodes', '1', '--no-early-stop']),
  ]);
  await Promise.all([
    // The lock, report.json and report.md fit; report.html does not.
    onFullDisk('compare', 4, 12, (out) => ['compare', TEACHER, TEACHER, '--out', out, '--episodes', '1', '--runtime', 'ort-cpu', '--batch', '1', '--seconds', '0.01']),
    // An onnxruntime-web page: the page, its script and the model fit in 2 MiB; onnxruntime's 14 MB wasm does not.
    onFullDisk('export web', 400, 1024, (out) => ['export', 'web', TEACHER, '--runtime', 'ort-wasm', '--out', out]),
  ]);
});
