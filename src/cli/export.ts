// `qdistill export <format>`: registers `export` with its `onnx` and `triton` subcommands (js, c and web register on it too).
import { type Command, Option } from 'commander';
import { registerExportTriton } from './export-triton.js';
import { oneOf } from './options.js';
import { printJson } from './output.js';

interface ExportOnnxFlags {
  out?: string;
  env?: string;
  opset: '13' | '17';
  dense: 'gemm' | 'matmul';
  layout: 'native' | 'nchw';
  json?: boolean;
}

/** Registers `export onnx` and returns the `export` command, so other formats register on it as subcommands. */
export function registerExport(program: Command): Command {
  const exportCommand = program
    .command('export')
    .description('write a model in another format')
    .addHelpText('after', '\nExample:\n  qdistill export onnx models/cartpole-v1');
  exportCommand
    .command('onnx')
    .description('export a tfjs teacher (folder written by `qdistill train`) as an ONNX policy file')
    .argument('<model>', 'tfjs model folder or model.json')
    .option('--out <file>', 'output file (default: teacher.onnx in the model folder)')
    .option('--env <id>', 'environment id (default: the one on the model card)')
    .addOption(new Option('--opset <n>', 'ONNX opset').argParser(oneOf(['13', '17'] as const)).default('17'))
    .addOption(new Option('--dense <form>', 'Dense layers as one Gemm or as MatMul + Add').argParser(oneOf(['gemm', 'matmul'] as const)).default('gemm'))
    .addOption(new Option('--layout <layout>', "image input: the env's HWC ('native') or NCHW").argParser(oneOf(['native', 'nchw'] as const)).default('native'))
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExample:\n  qdistill export onnx models/cartpole-v1\n  qdistill export onnx models/minatar-breakout --layout nchw --opset 13 --out breakout-nchw.onnx')
    .action(async (modelPath: string, flags: ExportOnnxFlags) => {
      const { exportOnnx } = await import('../export/index.js');
      const written = await exportOnnx(modelPath, { ...flags, opset: Number(flags.opset) as 13 | 17 });
      if (flags.json) printJson(written);
      else process.stdout.write(`wrote ${written.out}\n`);
    });
  registerExportTriton(exportCommand);
  return exportCommand;
}
