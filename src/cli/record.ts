// `qdistill record`: flags → the distill stage's recorder → one line or JSON.
import type { Command } from 'commander';
import { DEFAULT_RECORD_SEED } from '../rollout/seeds.js';
import { integer } from './options.js';
import { printJson, progressBars } from './output.js';
import { addPolicyFileOptions, policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';


interface RecordFlags extends PolicyFileFlags {
  env?: string;
  episodes: number;
  seed: number;
  out: string;
  json?: boolean;
}

export function registerRecord(program: Command): void {
  const command = program
    .command('record')
    .description('record greedy episodes of a policy as demonstrations (observation, action, reward) for `distill --from-demos`')
    .argument('<policy.onnx>', 'any ONNX policy (Q-values, or actions only)')
    .option('--env <id>', 'environment (default: the policy\'s metadata)');
  addPolicyFileOptions(command)
    .option('--episodes <n>', 'episodes to record', integer(1, 100_000), 10)
    .option('--seed <n>', 'seed of the episodes', integer(0, 2 ** 32 - 1), DEFAULT_RECORD_SEED)
    .requiredOption('--out <file>', 'demonstrations file: .qdb, or .npz for numpy.load (observations, actions, rewards, next_observations, terminated, truncated, episode, meta)')
    .option('--json', 'print a summary as JSON')
    .addHelpText('after', '\nExample:\n  qdistill record models/cartpole-v1/teacher.onnx --episodes 20 --out runs/cartpole-demos.qdb\n  qdistill record models/cartpole-v1/teacher.onnx --episodes 5 --out runs/cartpole-demos.npz\n  python3 -c "import numpy as np; d = np.load(\'runs/cartpole-demos.npz\'); print(d[\'observations\'].shape, d[\'actions\'].dtype)"')
    .action(async (file: string, flags: RecordFlags) => {
      const { recordDemonstrations } = await import('../distill/index.js');
      const { output: _o, allowFp16: _f, json: _j, ...rest } = flags;
      const summary = await recordDemonstrations(file, { ...rest, ...policyFileOptionsFrom(flags), onProgress: progressBars() });
      if (flags.json) printJson(summary);
      else process.stdout.write(`recorded ${summary.transitions} transitions from ${summary.episodes} episodes (return ${summary.mean.toFixed(1)} ± ${summary.std.toFixed(1)}) to ${summary.out}\n`);
    });
}
