import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { referenceCheck } from '../support/onnx-checker.js';
import { ourLines, runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-cli-static-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('quantize --mode static --format qoperator calibrates, writes a checked file and reports figures and progress', () => {
  const out = join(dir, 'qop.onnx');
  const input = 'models/lunarlander-v3-student-64x64/student.onnx';
  const before = readFileSync(input);
  const r = runCli(['quantize', input, '--mode', 'static', '--format', 'qoperator', '--method', 'entropy', '--per-channel', '--calibration-states', '500', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.ok(result.after.bytes < 0.6 * result.before.bytes, JSON.stringify(result.after));
  assert.ok(result.comparison.agreement >= 0.98, JSON.stringify(result.comparison));
  assert.deepEqual(result.report.declined, { Gemm: 1 }); // the layer reading the observation stays float
  assert.equal(result.report.options.calibration.states, 500);
  assert.ok(referenceCheck(out).ok);
  assert.deepEqual(readFileSync(input), before);
  // progress went to stderr as JSON lines (not a terminal)
  assert.ok(r.stderr.split('\n').some((line) => line.startsWith('{') && JSON.parse(line).progress === 'calibrating'), r.stderr);
  const meta = JSON.parse(runCli(['inspect', out, '--json']).stdout).metadata;
  assert.equal(JSON.parse(meta['qdistill.passes']).at(-1).pass, 'quantize-static');
});

test('quantize --mode static: bad requests are one line with exit code 2', () => {
  const input = 'models/cartpole-v1-student-16x16/student.onnx';
  for (const [args, pattern] of [
    [['--mode', 'dynamic', '--format', 'qdq'], /--format applies to --mode static only/],
    [['--mode', 'static', '--method', 'median'], /expected one of minmax, percentile, entropy/],
    [['--mode', 'static', '--calibrate', 'Pong-v5'], /unknown environment 'Pong-v5'/],
    [['--mode', 'static', '--calibrate', join(dir, 'missing.qdb')], /missing\.qdb/],
    [['--mode', 'static', '--percentile', '99'], /--percentile applies to --method percentile only/],
  ] as const) {
    const r = runCli(['quantize', input, ...args, '--out', join(dir, 'x.onnx')]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = ourLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  }
});
