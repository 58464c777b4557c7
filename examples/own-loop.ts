// Evaluate a policy in your own loop: makeEnv + openPolicy, reset/step by hand, and check the total against
// evaluate() on the same seed.
//
//   npm run build && node --import tsx examples/own-loop.ts [output folder]
//
// How evaluate() seeds episodes: episode i of evaluate(policy, { seed }) starts from env.reset(deriveSeed(seed, i)),
// so a loop of your own that seeds the same way plays the same episodes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_EVAL_SEED, deriveSeed, evaluate, makeEnv, openPolicy } from 'qdistill';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'qdistill-own-loop-'));

const policy = await openPolicy('models/lunarlander-v3-student-64x64/student.onnx', { runtime: 'ort-cpu' });
try {
  const env = makeEnv(policy.spec.id);
  const seed = DEFAULT_EVAL_SEED;
  const episodes = 3;

  // Your own loop: reset with the episode's seed, act greedily until the episode terminates or is truncated.
  const own: number[] = [];
  for (let i = 0; i < episodes; i++) {
    let observation = env.reset(deriveSeed(seed, i));
    let total = 0;
    for (let done = false; !done; ) {
      const step = env.step(await policy.act(observation));
      total += step.reward;
      observation = step.observation;
      done = step.terminated || step.truncated;
    }
    own.push(total);
  }

  const reference = await evaluate(policy, { episodes, seed });
  const same = own.every((total, i) => total === reference.returns[i]);
  console.log(`${policy.spec.id}, seed ${seed}, ${episodes} episodes`);
  console.log(`own loop:   ${own.join(', ')}`);
  console.log(`evaluate(): ${reference.returns.join(', ')} (mean ${reference.mean.toFixed(1)} ± ${reference.std.toFixed(1)})`);
  console.log(same ? 'same returns' : 'DIFFERENT returns');
  writeFileSync(join(out, 'own-loop.json'), JSON.stringify({ env: policy.spec.id, seed, own, evaluate: reference.returns }, null, 2) + '\n');
  console.log(`wrote ${join(out, 'own-loop.json')}`);
  if (!same) process.exitCode = 1;
} finally {
  await policy.dispose();
}
