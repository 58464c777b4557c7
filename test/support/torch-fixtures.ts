// Test files made by real torch: a script of test/support run by Debian's /usr/bin/python3 (python3-torch,
// python3-onnx) into a fresh temp folder, and the measure the tests hold Q-values to.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Python with torch and onnx (the python3 first on PATH has neither). */
export const TORCH_PYTHON = '/usr/bin/python3';

/** Runs `script` with `args`; fails the test with its stderr when it fails. */
export function runTorchScript(script: string, args: string[]): void {
  const r = spawnSync(TORCH_PYTHON, [script, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`cannot run ${TORCH_PYTHON} (apt-get install python3-torch python3-onnx): ${r.error.message}`);
  if (/No module named '(torch|onnx)'/.test(r.stderr)) throw new Error(`${TORCH_PYTHON} lacks torch or onnx (apt-get install python3-torch python3-onnx)`);
  assert.equal(r.status, 0, r.stderr);
}

/** A new temp folder (named from `prefix`) with what `script OUT_DIR` writes into it. */
export function torchFixtures(script: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  runTorchScript(script, [dir]);
  return dir;
}

/** Largest |a − b| relative to the largest |b| (b: torch's values). */
export function worstRelative(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}
