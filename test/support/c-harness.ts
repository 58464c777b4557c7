// The C export as firmware would build it: a main that includes the generated header, compiled with
// gcc -std=c99 -O2 -Wall -Wextra -Werror, fed float32 observations on stdin; it writes each one's outputs and action.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN_C = `#include <stdio.h>
#include <stdlib.h>
#include POLICY_HEADER
int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 0;
  float obs[QDISTILL_OBS_SIZE];
  float q[QDISTILL_ACTION_COUNT];
  for (long i = 0; i < count; i++) {
    if (fread(obs, sizeof(float), QDISTILL_OBS_SIZE, stdin) != QDISTILL_OBS_SIZE) return 3;
    qdistill_q_values(obs, q);
    int action = qdistill_act(obs);
    fwrite(q, sizeof(float), QDISTILL_ACTION_COUNT, stdout);
    fwrite(&action, sizeof(int), 1, stdout);
  }
  return 0;
}
`;
const dir = mkdtempSync(join(tmpdir(), 'qdistill-c-harness-'));
const mainFile = join(dir, 'main.c');
writeFileSync(mainFile, MAIN_C);

let built = 0;
/** Compiles the header with the flags a firmware build would use; returns the program's path. */
export function compile(headerPath: string): string {
  const exe = join(dir, `policy-${built++}`);
  const r = spawnSync('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', `-DPOLICY_HEADER="${headerPath}"`, '-o', exe, mainFile, '-lm'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `gcc failed:\n${r.stderr}`);
  return exe;
}

/** Compiles the header with the firmware flags plus `extra` (e.g. -pedantic, -fopt-info-vec-optimized); gcc's messages with the program. */
export function compileWith(headerPath: string, extra: string[]): { exe: string; stderr: string } {
  const exe = join(dir, `policy-${built++}`);
  const r = spawnSync('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', ...extra, `-DPOLICY_HEADER="${headerPath}"`, '-o', exe, mainFile, '-lm'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `gcc failed:\n${r.stderr}`);
  return { exe, stderr: r.stderr };
}

/** Runs a compiled policy on `count` observations: every output and the action it picked for each. */
export function runCompiled(exe: string, states: Float32Array, count: number, actions: number): { q: Float32Array; act: Int32Array } {
  const r = spawnSync(exe, [String(count)], { input: Buffer.from(states.buffer, states.byteOffset, states.byteLength), maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `compiled policy exited with ${r.status}`);
  const view = new DataView(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  assert.equal(r.stdout.byteLength, count * (actions + 1) * 4);
  const q = new Float32Array(count * actions);
  const act = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    const base = s * (actions + 1) * 4;
    for (let a = 0; a < actions; a++) q[s * actions + a] = view.getFloat32(base + a * 4, true);
    act[s] = view.getInt32(base + actions * 4, true);
  }
  return { q, act };
}
