// Who collects (teacher / student / mixed) and which loss (kl / mse / nll / dqn+kl), with one fixed label
// budget, over several seeds: the experiment of Czarnecki et al. 2019 and Rusu et al. 2016 on our teachers.
// Usage: node --import tsx bench/distill-compare.ts [teacher.onnx] [seeds] [student]  → JSON on stdout, table on stderr
import { distillStudent } from '../src/distill/student.js';
import { openPolicy } from '../src/infer/open.js';
import { evaluatePolicy, meanStd } from '../src/rollout/evaluate.js';
import { activateBackend, quietTfjs } from '../src/tfjs/backends.js';
import { greedyAction } from '../src/tfjs/greedy.js';
import { DEFAULT_DISTILL, type DistillConfig } from '../src/distill/config.js';
import { DEFAULT_EVAL_SEED } from '../src/rollout/seeds.js';

const teacherFile = process.argv[2] ?? 'models/lunarlander-v3/teacher.onnx';
const seeds = Number(process.argv[3] ?? 3);
const hidden = (process.argv[4] ?? '64,64').split(',').map(Number);
const FINAL_EPISODES = 50;

quietTfjs();
await activateBackend('wasm');
const teacher = await openPolicy(teacherFile);
const spec = teacher.spec;
const variants: Pick<DistillConfig, 'collect' | 'loss'>[] = [
  { collect: 'teacher', loss: 'kl' },
  { collect: 'student', loss: 'kl' },
  { collect: 'mixed', loss: 'kl' },
  { collect: 'teacher', loss: 'mse' },
  { collect: 'teacher', loss: 'nll' },
  { collect: 'teacher', loss: 'dqn+kl' },
];
const base: DistillConfig = { ...DEFAULT_DISTILL, hidden, convFilters: 0, evalEpisodes: 3 };
const rows = [];
for (const variant of variants) {
  const returns: number[] = [];
  const agreements: number[] = [];
  let seconds = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const config = { ...base, ...variant, seed };
    // No stop rule, so every variant uses the whole label budget.
    const result = await distillStudent({ envId: spec.id, teacher, stop: null, config });
    const evaluation = await evaluatePolicy(spec.id, (o) => greedyAction(result.student, o, spec.observationShape), { episodes: FINAL_EPISODES, seed: DEFAULT_EVAL_SEED });
    returns.push(evaluation.mean);
    agreements.push(result.rounds[result.rounds.length - 1].agreement);
    seconds += result.wallSeconds;
    process.stderr.write(`${variant.collect}/${variant.loss} seed ${seed}: ${evaluation.mean.toFixed(1)} (${result.wallSeconds.toFixed(1)} s)\n`);
  }
  rows.push({ ...variant, labels: base.rounds * base.stepsPerRound, seeds, returnsPerSeed: returns, ...meanStd(returns), trainAgreement: meanStd(agreements).mean, secondsPerRun: seconds / seeds });
}
await teacher.dispose();
process.stderr.write(`\n| collect | loss | return (mean ± std over ${seeds} seeds, ${FINAL_EPISODES} episodes each) | agreement (training batches) | s/run |\n|---|---|---|---|---|\n`);
for (const r of rows) process.stderr.write(`| ${r.collect} | ${r.loss} | ${r.mean.toFixed(1)} ± ${r.std.toFixed(1)} | ${(100 * r.trainAgreement).toFixed(1)}% | ${r.secondsPerRun.toFixed(1)} |\n`);
process.stdout.write(JSON.stringify({ teacher: teacherFile, env: spec.id, student: hidden, labels: base.rounds * base.stepsPerRound, rows }, null, 2) + '\n');
