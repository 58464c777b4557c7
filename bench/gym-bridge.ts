// Speed of the Gymnasium bridge: env steps per second of greedy evaluation through the bridge (N envs per
// round trip) against the TypeScript env and against the Python env stepped in its own Python loop.
// The env is the Gymnasium-API CartPole of test/gym/fixtures (gymnasium itself is not installed here).
//
//   node --import tsx bench/gym-bridge.ts [python] [episodes]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { configureGymEnv } from '../src/gym/index.js';
import { openPolicy } from '../src/infer/open.js';
import { argmaxRows } from '../src/policy/agreement.js';
import { evaluatePolicy } from '../src/rollout/evaluate.js';
import { evaluateLockstep } from '../src/rollout/lockstep.js';

const python = process.argv[2] ?? '/usr/bin/python3';
const episodes = Number(process.argv[3] ?? 64);
const fixtures = fileURLToPath(new URL('../test/gym/fixtures/', import.meta.url));
const id = configureGymEnv({ env: `${fixtures}cartpole_env.py:CartPole`, python, kwargs: { max_episode_steps: 500 } });
const lean = (o: Float32Array, at = 0) => (o[at + 2] + 0.3 * o[at + 3] > 0 ? 1 : 0);

interface Row {
  what: string;
  steps: number;
  seconds: number;
}
const rows: Row[] = [];

async function time(what: string, run: () => Promise<{ lengths: number[] }>): Promise<void> {
  const started = performance.now();
  const { lengths } = await run();
  rows.push({ what, steps: lengths.reduce((a, b) => a + b, 0), seconds: (performance.now() - started) / 1000 });
}

// 1. The env alone (a hand-written lean policy, no model): the ceiling of each way of stepping.
const pythonLoop = `
import sys, time
sys.path.insert(0, ${JSON.stringify(fixtures)})
from cartpole_env import CartPole
env = CartPole(max_episode_steps=500)
steps = 0
start = time.perf_counter()
for episode in range(${episodes}):
    o, _ = env.reset(seed=episode)
    for t in range(500):
        o, r, term, trunc, _ = env.step(1 if o[2] + 0.3 * o[3] > 0 else 0)
        steps += 1
        if term or trunc:
            break
print(steps, time.perf_counter() - start)
`;
const [pySteps, pySeconds] = execFileSync(python, ['-c', pythonLoop], { encoding: 'utf8' }).trim().split(' ').map(Number);
rows.push({ what: 'env only: Python loop (no qdistill)', steps: pySteps, seconds: pySeconds });
await time('env only: TypeScript CartPole', () => evaluatePolicy('CartPole-v1', (o) => lean(o), { episodes, seed: 0 }));
for (const n of [1, 16]) {
  await time(`env only: bridge, N = ${n}`, () => evaluateLockstep(id, (o, count) => Array.from({ length: count }, (_, i) => lean(o, i * 4)), { episodes, seed: 0, numEnvs: n }));
}

// 2. What `qdistill eval` does: the committed teacher (onnxruntime, CPU) picks every action.
const teacher = await openPolicy('models/cartpole-v1/teacher.onnx');
const batch = async (o: Float32Array, count: number) => argmaxRows(await teacher.qValues(o, count), count);
await time('eval: TypeScript CartPole', () => evaluatePolicy('CartPole-v1', (o) => teacher.act(o), { episodes, seed: 0 }));
await time('eval: TypeScript CartPole, N = 16', () => evaluateLockstep('CartPole-v1', batch, { episodes, seed: 0, numEnvs: 16 }));
await time('eval: bridge, N = 1', () => evaluatePolicy(id, (o) => teacher.act(o), { episodes, seed: 0 }));
await time('eval: bridge, N = 16', () => evaluateLockstep(id, batch, { episodes, seed: 0, numEnvs: 16 }));
await teacher.dispose();

console.log(`| what | env steps | seconds | env steps/s |\n|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.what} | ${r.steps} | ${r.seconds.toFixed(2)} | ${Math.round(r.steps / r.seconds).toLocaleString('en-US')} |`);
