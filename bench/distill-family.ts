// Distils every teacher of a family (bench/family: teachers trained by PyTorch, exported with torch.onnx)
// with distill's defaults, or with one variant of them, into a student of at most 1/20 of the teacher's
// parameters, and tabulates teacher and student on the same 100 evaluation seeds.
//
//   node --import tsx bench/distill-family.ts runs/family/manifest.json runs/family-distill [name key=value ...]
//   e.g. … runs/family-distill/r0.5 r0.5 relativeTemperature=0.5 collect=teacher
//
// One row per teacher goes to <out>/rows.jsonl as soon as it is measured (a rerun skips rows already there);
// <out>/table.md is rewritten after each. Extra teachers: QDISTILL_EXTRA="env=path,env=path".
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distill, type DistillRequest } from '../src/distill/index.js';
import { inspect } from '../src/index.js';
import { envSpec } from '../src/envs/registry.js';

interface Entry { path: string; env: string; run: string; head?: string; hparams?: string; arch?: number[]; seed?: number; snapshot_pct?: number }

const [manifestFile, out, name = 'defaults', ...overrides] = process.argv.slice(2);
if (!manifestFile || !out) throw new Error('usage: distill-family.ts MANIFEST OUT [name key=value ...]');
const variant: Record<string, unknown> = {};
for (const o of overrides) {
  const [key, value] = o.split('=');
  variant[key] = Number.isNaN(Number(value)) ? value : Number(value);
}
const entries: Entry[] = JSON.parse(readFileSync(manifestFile, 'utf8')).teachers;
for (const extra of (process.env.QDISTILL_EXTRA ?? '').split(',').filter(Boolean)) {
  const [env, path] = extra.split('=');
  entries.push({ path, env, run: path });
}
mkdirSync(out, { recursive: true });
const rowsFile = join(out, 'rows.jsonl');
const done = new Set(existsSync(rowsFile) ? readFileSync(rowsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).teacher) : []);

/** The largest of the usual student sizes with at most 1/20 of the teacher's parameters. */
function studentFor(teacherParameters: number, observation: number, actions: number): number[] {
  const params = (h: number[]) => [observation, ...h, actions].reduce((sum, n, i, all) => (i ? sum + all[i - 1] * n + n : 0), 0);
  return [[64, 64], [32, 32], [16, 16], [8, 8], [4]].find((h) => params(h) * 20 <= teacherParameters) ?? [4];
}

for (const entry of entries) {
  if (done.has(entry.path)) continue;
  const info = inspect(entry.path);
  const spec = envSpec(entry.env);
  const student = studentFor(info.parameters, spec.observationShape.reduce((a, b) => a * b, 1), spec.actionCount);
  const started = performance.now();
  const request: DistillRequest = { teacher: entry.path, env: entry.env, student, outDir: join(out, 'students', entry.path.replace(/[^\w.-]+/g, '_')), ...variant };
  const s = await distill(request);
  const row = {
    teacher: entry.path, env: entry.env, head: entry.head, hparams: entry.hparams, seed: entry.seed, snapshot: entry.snapshot_pct, variant: name,
    teacherParameters: info.parameters, student: s.student, studentParameters: s.parameters,
    teacherReturn: s.teacherReward, studentReturn: s.reward, randomReturn: s.randomReward, gain: s.ofTeacherReward,
    agreement: s.agreement, decisiveAgreement: s.decisiveAgreement, relativeRegret: s.relativeRegret,
    rounds: s.rounds, stop: s.stop, distillSeconds: s.wallSeconds, commandSeconds: (performance.now() - started) / 1000,
  };
  appendFileSync(rowsFile, JSON.stringify(row) + '\n');
  process.stderr.write(`${entry.path}: teacher ${row.teacherReturn!.mean.toFixed(1)} student ${row.studentReturn.mean.toFixed(1)} gain ${(100 * (row.gain ?? NaN)).toFixed(1)}% (${row.rounds} rounds, ${row.stop}, ${row.commandSeconds.toFixed(0)} s)\n`);
  writeTable();
}
writeTable();

function writeTable(): void {
  const rows = readFileSync(rowsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const pct = (x: number | null) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  const lines = [
    `| teacher | params | student | teacher return | student return | % of gain | agreement | decisive | regret | rounds | stop | s |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.teacher} | ${r.teacherParameters} | ${r.student} (${r.studentParameters}) | ${r.teacherReturn.mean.toFixed(1)} ± ${r.teacherReturn.std.toFixed(1)} | ${r.studentReturn.mean.toFixed(1)} ± ${r.studentReturn.std.toFixed(1)} | ${pct(r.gain)} | ${pct(r.agreement)} | ${pct(r.decisiveAgreement)} | ${pct(r.relativeRegret)} | ${r.rounds} | ${r.stop} | ${r.commandSeconds.toFixed(0)} |`),
  ];
  const gains = rows.map((r) => r.gain).filter((g) => g !== null).sort((a, b) => a - b);
  const median = gains.length ? gains[Math.floor((gains.length - 1) / 2)] : NaN;
  lines.push('', `${rows.length} teachers; % of gain: median ${pct(median)}, min ${pct(gains[0] ?? null)}; ≥ 95%: ${gains.filter((g) => g >= 0.95).length}/${gains.length}`);
  writeFileSync(join(out, 'table.md'), lines.join('\n') + '\n');
}
