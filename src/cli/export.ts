// `qdistill export <format>`: onnx now; web, js and c come with the deployment issues.
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { TEACHER_ONNX, writeTeacherOnnx } from '../policy/teacher-onnx.js';
import { readCard } from '../policy/card.js';
import { activateBackend, quietTfjs } from '../tfjs/backends.js';
import { loadLayersModel, resolveModelJson } from '../tfjs/model-io.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId } from './common.js';
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
    .option('--out <file>', `output file (default: ${TEACHER_ONNX} in the model folder)`)
    .option('--env <id>', 'environment id (default: the one on the model card)')
    .addOption(new Option('--opset <n>', 'ONNX opset').argParser(oneOf(['13', '17'] as const)).default('17'))
    .addOption(new Option('--dense <form>', 'Dense layers as one Gemm or as MatMul + Add').argParser(oneOf(['gemm', 'matmul'] as const)).default('gemm'))
    .addOption(new Option('--layout <layout>', "image input: the env's HWC ('native') or NCHW").argParser(oneOf(['native', 'nchw'] as const)).default('native'))
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExample:\n  qdistill export onnx models/cartpole-v1\n  qdistill export onnx models/minatar-breakout --layout nchw --opset 13 --out breakout-nchw.onnx')
    .action(async (modelPath: string, flags: ExportOnnxFlags) => {
      const modelJson = resolveModelJson(modelPath);
      const card = readCard(dirname(modelJson));
      const envId = flags.env ?? card?.env;
      if (!envId) throw new UsageError('the model has no card naming its environment; pass --env', modelPath);
      checkEnvId(envId);
      quietTfjs();
      await activateBackend('cpu');
      const model = await loadLayersModel(modelJson);
      const out = flags.out ?? join(dirname(modelJson), TEACHER_ONNX);
      writeTeacherOnnx(model, envId, card ?? { env: envId }, out, { opset: Number(flags.opset) as 13 | 17, dense: flags.dense, layout: flags.layout });
      if (flags.json) printJson({ out, env: envId, opset: Number(flags.opset), dense: flags.dense, layout: flags.layout });
      else process.stdout.write(`wrote ${out}\n`);
    });
  return exportCommand;
}
