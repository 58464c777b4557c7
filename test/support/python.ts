// The Python the tests use (Debian's, with numpy, torch and onnx; the python3 first on PATH lacks them).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** Runs `script` with PYTHON in `cwd`, asserts it succeeded, and returns what it printed. */
export function runPython(script: string, cwd: string): string {
  const r = spawnSync(PYTHON, ['-c', script], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
