// `qdistill import <file>`: a Q-network from Stable-Baselines3 / RL Zoo or a torch.save state dict → teacher.onnx.
import type { Command } from 'commander';
import { printJson } from './output.js';

interface ImportFlags {
  out: string;
  env?: string;
  json?: boolean;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('turn an SB3 / RL Zoo .zip (DQN or QR-DQN, MlpPolicy or CnnPolicy) or a torch.save state dict (CleanRL .cleanrl_model, .pt, .pth) of an MLP Q-network into teacher.onnx with card.json beside it; nothing in the file is executed')
    .argument('<file>', 'the model file')
    .requiredOption('--out <file>', 'the ONNX policy to write, e.g. teacher.onnx (card.json is written beside it; both are replaced if present)')
    .option('--env <id>', "environment id (default: from the Zoo's args.yml, the file name, or the only env the network's sizes fit; none fits: the file records no env)")
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExample:\n  qdistill import ../shared/fixtures/sb3/dqn-CartPole-v1/CartPole-v1.zip --out teacher.onnx\n  qdistill import q_network.cleanrl_model --env CartPole-v1 --out teacher.onnx --json')
    .action(async (file: string, flags: ImportFlags) => {
      const { importModel } = await import('../import/index.js');
      const result = await importModel(file, {
        out: flags.out,
        env: flags.env,
        onLog: flags.json ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      if (flags.json) printJson(result);
      else {
        const quantiles = result.quantiles ? `, ${result.quantiles} quantiles` : '';
        process.stdout.write(`read ${result.algorithm} ${result.network} (${result.parameters} parameters${quantiles}, ${result.format}${result.sb3Version ? ` ${result.sb3Version}` : ''}) ${result.env ? `for ${result.env} (${result.envSource})` : `with no environment: ${result.envSource}`}\n`);
        process.stdout.write(`wrote ${result.out} and ${result.cardPath}\n`);
      }
    });
}
