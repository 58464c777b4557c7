import type { Command } from 'commander';
import { fileHash, writeDataset } from '../policy/dataset.js';
import { DistillMemory } from '../distill/memory.js';
import { makeEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { openPolicy } from '../infer/open.js';
import { meanStd } from '../rollout/evaluate.js';
import { DEFAULT_EVAL_SEED } from '../rollout/evaluate.js';
import { integer } from './options.js';
import { printJson, startProgress } from './output.js';

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record greedy episodes of a policy as demonstrations (observation, action, reward) for `distill --from-demos`')
    .argument('<policy.onnx>', 'any ONNX policy')
    .option('--env <id>', 'environment (default: the policy\'s metadata)')
    .option('--episodes <n>', 'episodes to record', integer(1), 10)
    .option('--seed <n>', 'seed of the episodes', integer(0, 2 ** 32 - 1), DEFAULT_EVAL_SEED + 1)
    .requiredOption('--out <file>', 'demonstrations file (.qdb)')
    .option('--json', 'print a summary as JSON')
    .addHelpText('after', '\nExample:\n  qdistill record models/cartpole-v1/teacher.onnx --episodes 20 --out runs/cartpole-demos.qdb')
    .action(async (file: string, flags: { env?: string; episodes: number; seed: number; out: string; json?: boolean }) => {
      const policy = await openPolicy(file, { env: flags.env });
      const env = makeEnv(policy.spec.id);
      const memory = new DistillMemory(flags.episodes * env.spec.maxEpisodeSteps, observationSize(env.spec), env.spec.actionCount, false);
      const returns: number[] = [];
      const progress = startProgress('record', flags.episodes);
      for (let episode = 0; episode < flags.episodes; episode++) {
        let observation = env.reset(deriveSeed(flags.seed, episode));
        let total = 0;
        for (;;) {
          const action = await policy.act(observation);
          const r = env.step(action);
          memory.add(observation, action, r.reward, r.observation, r.terminated, new Float32Array(0));
          total += r.reward;
          observation = r.observation;
          if (r.terminated || r.truncated) break;
        }
        returns.push(total);
        progress.update(episode + 1);
      }
      progress.stop();
      await policy.dispose();
      writeDataset(
        flags.out,
        memory.toDataset({ env: env.spec.id, observationShape: env.spec.observationShape, actionCount: env.spec.actionCount, teacherHash: fileHash(file), targets: 'none', source: 'demonstrations' }),
      );
      const summary = { out: flags.out, env: env.spec.id, episodes: flags.episodes, transitions: memory.size, ...meanStd(returns) };
      if (flags.json) printJson(summary);
      else process.stdout.write(`recorded ${summary.transitions} transitions from ${flags.episodes} episodes (return ${summary.mean.toFixed(1)} ± ${summary.std.toFixed(1)}) to ${flags.out}\n`);
    });
}
