// Train → distill → compress → serve, on a budget that runs in well under a minute on two CPU cores.
//
//   npm run build && node --import tsx examples/train-distill-serve.ts [output folder]
//
// The budgets are far below the defaults (the committed teacher trained 50,000 steps of a 256-256 network and
// every evaluation plays 100 episodes); raise `steps`, `rounds` and `episodes` for real use.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress, distill, makeEnv, serve, train } from 'qdistill';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'qdistill-example-'));

// 1. A DQN teacher: the CartPole preset (RL Baselines3 Zoo's hyperparameters) with a 64-64 network instead of
//    256-256, 10,000 steps instead of 50,000, and a 5-episode final evaluation. Hyperparameters take
//    Stable-Baselines3's names.
const teacher = await train({
  env: 'CartPole-v1',
  outDir: join(out, 'teacher'),
  steps: 10_000,
  backend: 'wasm',
  hyperparameters: { net_arch: [64, 64], eval_episodes: 5 },
});
console.log(`teacher: ${teacher.teacherPath}, return ${teacher.card.evalReward.mean.toFixed(1)} over ${teacher.card.evalReward.episodes} episodes`);

// 2. A 16-16 student of it, on a small distillation budget. After each round student and teacher play the
//    same 20 episodes; it stops early once the student is, at 95% confidence, not worse than the teacher by
//    more than 5% of the teacher's gain over a random policy.
const student = await distill({
  teacher: teacher.teacherPath,
  student: [16, 16],
  outDir: join(out, 'student'),
  rounds: 8,
  stepsPerRound: 1000,
  gradientStepsPerRound: 200,
  evalEpisodes: 20,
  finalEpisodes: 5,
});
console.log(`student: ${student.studentPath}, ${student.parameters} parameters, return ${student.reward.mean.toFixed(1)}, agreement ${((student.agreement ?? 0) * 100).toFixed(1)}%`);
console.log(`student: ${student.stopSummary}`);

// 3. The compression recipe, with the student as its starting point (compress calls it "teacher"): distill
//    a smaller student, prune and quantize what keeps the reward, and write the smallest file that keeps 90%
//    of the starting point's gain over a random policy as policy.onnx.
const compressed = await compress(student.studentPath, {
  outDir: join(out, 'compressed'),
  keep: 0.9,
  sizes: [{ hidden: [16], width: 1 }],
  episodes: 5,
  latencySeconds: 0.05,
  studentsToCompress: 1,
  distill: { rounds: 6, stepsPerRound: 1000, gradientStepsPerRound: 200, evalEpisodes: 10 },
});
console.log(`compressed: ${compressed.pick.file} (${compressed.pick.name}: ${compressed.pick.bytes} bytes, return ${compressed.pick.reward.mean.toFixed(1)}; ${compressed.candidates.length} candidates tried)`);

// 4. Serve it on a free port and ask it for one action over HTTP.
const server = await serve({ models: [{ name: 'cartpole', file: compressed.pick.file }], port: 0, web: false });
try {
  const observation = Array.from(makeEnv('CartPole-v1').reset(1));
  const response = await fetch(`${server.url}/v1/models/cartpole:act`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ observation }),
  });
  if (!response.ok) throw new Error(`POST :act answered ${response.status}: ${await response.text()}`);
  const answer = (await response.json()) as { action: number; q_values: number[] };
  console.log(`served at ${server.url}: observation [${observation.map((x) => x.toFixed(3)).join(', ')}] → action ${answer.action}`);
} finally {
  await server.close();
}
