import type { Command } from 'commander';
import { envIds, envSpec } from '../envs/registry.js';
import { formatTable, printJson } from './output.js';

export function registerEnvs(program: Command): void {
  program
    .command('envs')
    .description('list the built-in environments and their specs (any Gymnasium env also works: --env gym:<id>)')
    .option('--json', 'print the specs as JSON')
    .addHelpText('after', '\nExample:\n  qdistill envs --json')
    .action((flags: { json?: boolean }) => {
      const specs = envIds().map(envSpec);
      if (flags.json) return printJson(specs);
      process.stdout.write(
        formatTable(
          ['id', 'observation', 'layout', 'actions', 'max steps', 'reward threshold'],
          specs.map((s) => [s.id, `[${s.observationShape.join(', ')}]`, s.observationLayout, s.actionCount, s.maxEpisodeSteps, s.rewardThreshold ?? '-']),
        ) + '\n' + 'and any Gymnasium env through your Python: --env gym:<id> or gym:FILE.py:Class (see docs/gym-bridge.md)\n',
      );
    });
}
