// The issue-5 table for one environment: teacher fp32 → student fp32 → int8 dynamic → int8 static → pruned
// (+ finetune) → the pick of `qdistill compress`: bytes, parameters, return ± std over 100 episodes on the shared
// seeds, and single-observation p50 latency in onnxruntime-node (CPU EP, 1 thread), measured interleaved in one
// run so the ratios to the teacher hold on a shared machine.
// Usage: node --import tsx bench/compression-table.ts <teacher.onnx> <student.onnx> <compress-pick.onnx> <work dir>
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPass } from '../src/compress/apply.js';
import { applyStaticQuantization } from '../src/compress/apply-static.js';
import { finetuneAfterPrune } from '../src/pipelines/prune-finetune.js';
import { prunePass } from '../src/compress/prune.js';
import { dynamicQuantizationPass } from '../src/compress/quantize-dynamic.js';
import { STATIC_INT8 } from '../src/pipelines/recipe-variants.js';
import { openPolicy } from '../src/infer/open.js';
import type { Policy } from '../src/infer/policy.js';
import { inspectModel } from '../src/onnx/inspect.js';
import { decodeModel } from '../src/onnx/model.js';
import { evaluatePolicy } from '../src/rollout/evaluate.js';
import { machineDescription } from '../src/util/machine.js';
import { nearestRank as percentile } from '../src/util/stats.js';
import { visitedStates } from '../src/rollout/visited-states.js';
import { randomPolicyReward } from '../src/rollout/random-baseline.js';
import { DEFAULT_EVAL_SEED } from '../src/rollout/seeds.js';

const [teacher, student, pick, work] = process.argv.slice(2);
if (!work) throw new Error('usage: compression-table.ts <teacher.onnx> <student.onnx> <pick.onnx> <work dir>');
mkdirSync(work, { recursive: true });
const EPISODES = 100;
const ROUNDS = 20;
const CALLS_PER_ROUND = 500;

const rows: { name: string; file: string }[] = [
  { name: 'teacher fp32', file: teacher },
  { name: 'student fp32', file: student },
];
const dynamic = join(work, 'student-int8-dynamic.onnx');
await applyPass(dynamicQuantizationPass, student, dynamic, { perChannel: false, keepInputLayer: true });
rows.push({ name: 'student int8 dynamic', file: dynamic });
const staticFile = join(work, 'student-int8-static.onnx');
await applyStaticQuantization(student, staticFile, STATIC_INT8);
rows.push({ name: 'student int8 static (qdq, entropy, per-channel)', file: staticFile });
const pruned = join(work, 'student-pruned50.onnx');
await applyPass(prunePass, student, pruned, { sparsity: 0.5, structured: true });
rows.push({ name: 'student pruned 50% structured', file: pruned });
const finetuned = join(work, 'student-pruned50-finetuned.onnx');
const pruneOptions = { sparsity: 0.5, structured: true };
await applyPass(prunePass, student, finetuned, pruneOptions, undefined, finetuneAfterPrune(pruneOptions, { rounds: 10, seed: 1 }));
rows.push({ name: 'student pruned 50% structured + finetune', file: finetuned });
rows.push({ name: 'compress pick', file: pick });

const policies: Policy[] = [];
for (const row of rows) policies.push(await openPolicy(row.file));
const env = policies[0].spec.id;
const random = await randomPolicyReward(env, EPISODES, policies[0].spec.actionCount);
const rewards: Awaited<ReturnType<typeof evaluatePolicy>>[] = [];
for (const p of policies) rewards.push(await evaluatePolicy(env, (o) => p.act(o), { episodes: EPISODES, seed: DEFAULT_EVAL_SEED }));

// Interleaved latency: every policy in turn, ROUNDS times, on states the teacher visits.
const { observations } = await visitedStates(policies[0], 256, 4242);
const size = observations.length / 256;
const singles = Array.from({ length: 256 }, (_, i) => observations.subarray(i * size, (i + 1) * size));
for (const p of policies) for (let i = 0; i < 500; i++) await p.qValues(singles[i % 256], 1);
const samples: number[][] = policies.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, p] of policies.entries()) {
    for (let i = 0; i < CALLS_PER_ROUND; i++) {
      const start = performance.now();
      await p.qValues(singles[i % 256], 1);
      samples[k].push((performance.now() - start) * 1000);
    }
  }
}
const p50 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);
const table = rows.map((row, k) => {
  const bytes = readFileSync(row.file).length;
  const summary = inspectModel(decodeModel(readFileSync(row.file), row.file));
  const r = rewards[k];
  return {
    model: row.name,
    file: row.file,
    bytes,
    ofTeacherBytes: bytes / readFileSync(teacher).length,
    parameters: summary.parameters,
    reward: { mean: r.mean, std: r.std, episodes: r.episodes },
    ofTeacherGain: (r.mean - random) / (rewards[0].mean - random),
    p50Us: p50(samples[k]),
    p50VsTeacher: p50(samples[k]) / p50(samples[0]),
  };
});
for (const p of policies) await p.dispose();
const markdown = [
  `| ${env} | bytes | of teacher | params | return (100 ep) | of teacher gain | p50 ort-cpu | vs teacher |`,
  '|---|---|---|---|---|---|---|---|',
  ...table.map((t) => `| ${t.model} | ${t.bytes.toLocaleString('en')} | ${(100 * t.ofTeacherBytes).toFixed(2)}% | ${t.parameters.toLocaleString('en')} | ${t.reward.mean.toFixed(1)} ± ${t.reward.std.toFixed(1)} | ${(100 * t.ofTeacherGain).toFixed(1)}% | ${t.p50Us.toFixed(1)} µs | ${t.p50VsTeacher.toFixed(2)}× |`),
].join('\n');
process.stdout.write(JSON.stringify({ env, machine: machineDescription(), randomReward: random, episodes: EPISODES, seed: DEFAULT_EVAL_SEED, table, markdown }, null, 2) + '\n');
