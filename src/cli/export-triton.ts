// `qdistill export triton`: policies as a Triton Inference Server model repository (config.pbtxt and
// 1/model.onnx per model). The batching flags are serve's, with serve's names and defaults, so that a model
// batches alike under `qdistill serve` and under Triton.
import type { Command } from 'commander';
import { BATCH_WINDOW_US_RANGE, DEFAULT_BATCH_WINDOW_US, DEFAULT_MAX_BATCH, MAX_BATCH_RANGE } from '../util/batching-defaults.js';
import { integer } from './options.js';
import { printJson } from './output.js';
import { addPolicyFileOptions, policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';

interface ExportTritonFlags extends PolicyFileFlags {
  out: string;
  env?: string;
  maxBatch: number;
  batchWindowUs: number;
  batching: boolean;
  gpu?: boolean;
  hideCards?: boolean;
  json?: boolean;
}

/** Registers `export triton` on the `export` command. */
export function registerExportTriton(exportCommand: Command): void {
  addPolicyFileOptions(exportCommand.command('triton'))
    .description('write a Triton Inference Server model repository: <name>/config.pbtxt and <name>/1/model.onnx per model (onnxruntime backend)')
    .argument('<models...>', 'ONNX policy files; the model name is the file stem, or give name=path')
    .requiredOption('--out <dir>', 'the model repository folder (tritonserver --model-repository); other models in it are left alone')
    .option('--env <id>', 'environment id for files without qdistill metadata')
    .option('--max-batch <n>', 'max_batch_size: observations per inference call at most (also the preferred batch)', integer(MAX_BATCH_RANGE.min, MAX_BATCH_RANGE.max), DEFAULT_MAX_BATCH)
    .option('--batch-window-us <us>', 'max_queue_delay_microseconds: longest wait for more requests to batch with the first', integer(BATCH_WINDOW_US_RANGE.min, BATCH_WINDOW_US_RANGE.max), DEFAULT_BATCH_WINDOW_US)
    .option('--no-batching', 'no dynamic_batching: Triton runs every request on its own')
    .option('--gpu', 'one instance per GPU (KIND_GPU) instead of one on the CPU (KIND_CPU)')
    .option('--hide-cards', 'leave the model cards (they record the training command line and machine) out of config.pbtxt')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  qdistill export triton models/cartpole-v1-student-16x16/student.onnx --out triton-repo\n' +
        '  docker run --rm -p8000:8000 -v $PWD/triton-repo:/models nvcr.io/nvidia/tritonserver:<yy.mm>-py3 tritonserver --model-repository=/models\n' +
        '\nA model folder the repository already has is replaced only if this command wrote it. See docs/deploy.md.',
    )
    .action(async (models: string[], flags: ExportTritonFlags) => {
      const { exportTriton } = await import('../export/index.js');
      const result = exportTriton(models, {
        out: flags.out,
        env: flags.env,
        ...policyFileOptionsFrom(flags),
        maxBatch: flags.maxBatch,
        batchWindowUs: flags.batchWindowUs,
        batching: flags.batching,
        gpu: flags.gpu,
        hideCards: flags.hideCards,
      });
      if (flags.json) return printJson(result);
      for (const model of result.models) for (const note of model.notes) process.stderr.write(`${model.source}: ${note}\n`);
      const names = result.models.map((m) => `${m.name} (${m.input.name} [${m.input.dims.join(', ')}] → ${m.output.name} [${m.output.dims.join(', ')}])`);
      const batching = result.batching ? `dynamic batching up to ${result.batching.maxBatch}, ${result.batching.windowUs} µs` : 'no dynamic batching';
      process.stdout.write(`wrote ${flags.out}: ${names.join(', ')}; max_batch_size ${result.maxBatch}, ${batching}, ${result.instanceKind}\n`);
    });
}
