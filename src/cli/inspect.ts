import type { Command } from 'commander';
import { printJson } from './output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('describe an ONNX model: versions, producer, inputs/outputs, ops, parameters, bytes, multiply-accumulates, metadata')
    .argument('<model.onnx>', 'ONNX file (ours or from PyTorch, Stable-Baselines3, tf2onnx)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  qdistill inspect models/cartpole-v1/teacher.onnx\n  qdistill inspect models/pytorch/cartpole-v1-mlp.onnx --json')
    .action(async (file: string, flags: { json?: boolean }) => {
      const { inspect, formatSummary } = await import('../onnx/inspect-file.js');
      const summary = inspect(file);
      if (flags.json) printJson({ file, ...summary });
      else process.stdout.write(formatSummary(summary) + '\n');
    });
}
