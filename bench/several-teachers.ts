// Students of several teachers, against students of one, with distill's defaults:
//   ensemble   — one student of an ensemble of teachers of one env, against each teacher and against each
//                teacher's own student (same evaluation seeds; several distillation seeds);
//   multi-env  — one student with a shared trunk for several envs, against one student per env whose sizes
//                add up to the same total parameter count.
//
//   node --import tsx bench/several-teachers.ts ensemble OUT SEEDS ENV a.onnx b.onnx c.onnx
//   node --import tsx bench/several-teachers.ts multi-env OUT SEEDS HIDDEN a.onnx@ENV b.onnx@ENV …
//
// Writes OUT/<kind>.json and prints a Markdown table on stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distill, distillMultiEnv } from '../src/distill/index.js';
import { envSpec } from '../src/envs/registry.js';
import { openPolicy } from '../src/infer/open.js';
import { meanStd } from '../src/rollout/evaluate.js';
import { evaluate } from '../src/index.js';

const [kind, out, seedsArg, fourth, ...files] = process.argv.slice(2);
const seeds = Array.from({ length: Number(seedsArg) }, (_, i) => i + 1);
mkdirSync(out, { recursive: true });
const fmt = (xs: number[]) => {
  const { mean, std } = meanStd(xs);
  return `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
};

if (kind === 'ensemble') {
  const env = fourth;
  const hidden = [32, 32];
  const teachers = [];
  for (const file of files) {
    const policy = await openPolicy(file, { env });
    teachers.push({ file, ...(await evaluate(policy, { episodes: 100 })) });
    await policy.dispose();
  }
  const ensemble: number[] = [];
  const singles: number[][] = files.map(() => []);
  for (const seed of seeds) {
    const e = await distill({ teacher: files[0], teachers: files.slice(1), env, student: hidden, outDir: join(out, `ensemble-s${seed}`), seed });
    ensemble.push(e.reward.mean);
    process.stderr.write(`ensemble seed ${seed}: ${e.reward.mean.toFixed(1)} (ensemble teacher ${e.teacherReward!.mean.toFixed(1)}, ${e.rounds} rounds, ${e.stop})\n`);
    for (const [k, file] of files.entries()) {
      const s = await distill({ teacher: file, env, student: hidden, outDir: join(out, `single-${k}-s${seed}`), seed });
      singles[k].push(s.reward.mean);
      process.stderr.write(`teacher ${k} seed ${seed}: ${s.reward.mean.toFixed(1)} (${s.rounds} rounds, ${s.stop})\n`);
    }
  }
  const lines = [
    `| model | return over 100 episodes (teachers) / mean ± std over ${seeds.length} distillation seeds of each student's 100-episode mean |`,
    '|---|---|',
    ...teachers.map((t, k) => `| teacher ${k} (${t.file}) | ${t.mean.toFixed(1)} ± ${t.std.toFixed(1)} |`),
    ...singles.map((xs, k) => `| ${hidden.join('-')} student of teacher ${k} | ${fmt(xs)} (${xs.map((x) => x.toFixed(1)).join(', ')}) |`),
    `| ${hidden.join('-')} student of the ensemble | ${fmt(ensemble)} (${ensemble.map((x) => x.toFixed(1)).join(', ')}) |`,
  ];
  writeFileSync(join(out, 'ensemble.json'), JSON.stringify({ env, hidden, teachers: teachers.map(({ file, mean, std }) => ({ file, mean, std })), ensemble, singles }, null, 2));
  process.stdout.write(lines.join('\n') + '\n');
} else if (kind === 'multi-env') {
  const hidden = fourth.split(',').map(Number);
  const multi: Record<string, number[]> = {};
  let total = 0;
  let shared = 0;
  for (const seed of seeds) {
    const multiEnv = await distillMultiEnv({ teachers: files, student: hidden, outDir: join(out, `multi-s${seed}`), seed });
    total = multiEnv.totalParameters;
    shared = multiEnv.sharedParameters;
    for (const s of multiEnv.students) (multi[s.env] ??= []).push(s.ofTeacherReward!);
    process.stderr.write(`multi-env seed ${seed}: ${multiEnv.students.map((s) => `${s.env} ${s.reward.mean.toFixed(1)}`).join(', ')}\n`);
  }
  // One student per env, all of one width h, with h chosen so that their parameters add up closest to the multi-env total.
  const envs = files.map((f) => f.slice(f.lastIndexOf('@') + 1));
  const params = (h: number) => envs.reduce((n, e) => { const s = envSpec(e); const o = s.observationShape[0]; return n + o * h + h + (hidden.length - 1) * (h * h + h) + h * s.actionCount + s.actionCount; }, 0);
  const width = Array.from({ length: 256 }, (_, i) => i + 1).reduce((best, h) => (Math.abs(params(h) - total) < Math.abs(params(best) - total) ? h : best), 1);
  const single: Record<string, number[]> = {};
  for (const seed of seeds) {
    for (const [k, given] of files.entries()) {
      const file = given.slice(0, given.lastIndexOf('@'));
      const s = await distill({ teacher: file, env: envs[k], student: hidden.map(() => width), outDir: join(out, `single-${envs[k]}-s${seed}`), seed });
      (single[envs[k]] ??= []).push(s.ofTeacherReward!);
      process.stderr.write(`single ${envs[k]} seed ${seed}: ${s.reward.mean.toFixed(1)}\n`);
    }
  }
  const pct = (xs: number[]) => { const { mean, std } = meanStd(xs.map((x) => 100 * x)); return `${mean.toFixed(1)}% ± ${std.toFixed(1)}`; };
  const lines = [
    `multi-env student ${hidden.join('-')}: ${total} parameters (${shared} shared); single-env students ${hidden.map(() => width).join('-')}: ${params(width)} parameters together. Share of each teacher's gain, mean ± std over ${seeds.length} distillation seeds.`,
    '',
    '| env | multi-env student | single-env student |',
    '|---|---|---|',
    ...envs.map((e) => `| ${e} | ${pct(multi[e])} | ${pct(single[e])} |`),
  ];
  writeFileSync(join(out, 'multi-env.json'), JSON.stringify({ hidden, total, shared, width, singleTotal: params(width), multi, single }, null, 2));
  process.stdout.write(lines.join('\n') + '\n');
} else {
  throw new Error('usage: several-teachers.ts ensemble|multi-env …');
}
