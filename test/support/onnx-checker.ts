// The reference ONNX checker from Debian's python3-onnx, run on a file. Fails (never skips) when it is
// missing: .ci/run installs it.
import { spawn, spawnSync } from 'node:child_process';

export function referenceCheck(path: string): { ok: boolean; message: string } {
  const script = 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")';
  const r = spawnSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run /usr/bin/python3 (apt-get install python3-onnx): ${r.error.message}`);
  if (/No module named 'onnx'/.test(r.stderr)) throw new Error('python3-onnx is not installed (apt-get install python3-onnx)');
  return { ok: r.status === 0 && r.stdout.trim() === 'ok', message: (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '' };
}

/**
 * onnx.checker.check_model(full_check=True), as referenceCheck runs it, on many files in one Python process
 * (one process per file would cost ~0.4 s each); it runs while the caller goes on. Path → accepted, and the
 * checker's last line.
 */
export function referenceCheckFiles(paths: string[]): Promise<Map<string, { ok: boolean; message: string }>> {
  const script = [
    'import sys, json, onnx',
    'res = {}',
    'for p in json.load(sys.stdin):',
    '    try:',
    '        onnx.checker.check_model(onnx.load(p), full_check=True)',
    '        res[p] = [True, "ok"]',
    '    except Exception as e:',
    '        res[p] = [False, (str(e).strip().splitlines() or [type(e).__name__])[-1]]',
    'print(json.dumps(res))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => reject(new Error(`cannot run /usr/bin/python3 (apt-get install python3-onnx): ${error.message}`)));
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`onnx.checker did not run (apt-get install python3-onnx): ${stderr.slice(-1000)}`));
      else resolve(new Map(Object.entries(JSON.parse(stdout) as Record<string, [boolean, string]>).map(([path, [ok, message]]) => [path, { ok, message }])));
    });
    child.stdin.end(JSON.stringify(paths));
  });
}
