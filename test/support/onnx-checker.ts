// The reference ONNX checker from Debian's python3-onnx, run on a file. Fails (never skips) when it is
// missing: .ci/run installs it.
import { spawnSync } from 'node:child_process';

export function referenceCheck(path: string): { ok: boolean; message: string } {
  const script = 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")';
  const r = spawnSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run /usr/bin/python3 (apt-get install python3-onnx): ${r.error.message}`);
  if (/No module named 'onnx'/.test(r.stderr)) throw new Error('python3-onnx is not installed (apt-get install python3-onnx)');
  return { ok: r.status === 0 && r.stdout.trim() === 'ok', message: (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '' };
}
