// `qdistill export js` and `qdistill export c`: the policy compiled to a standalone ES module or C header.
import { Option, type Command } from 'commander';
import { oneOf } from './options.js';
import { printJson } from './output.js';
import { addPolicyFileOptions, policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';

const WEIGHT_FORMATS = ['float32', 'int8'] as const;
// The names only (c-int8.ts is not loaded for --help).
const REQUANTIZATIONS = ['fixed-point', 'float'] as const;

interface ExportCodeFlags extends PolicyFileFlags {
  out: string;
  weights: 'float32' | 'int8';
  requantize?: (typeof REQUANTIZATIONS)[number];
  env?: string;
  json?: boolean;
}

type Language = 'js' | 'c';

async function exportCode(language: Language, input: string, flags: ExportCodeFlags): Promise<void> {
  const { exportC, exportJs } = await import('../export/index.js');
  const { output: _o, allowFp16: _f, ...rest } = flags;
  const summary = (language === 'js' ? exportJs : exportC)(input, { ...rest, ...policyFileOptionsFrom(flags) });
  if (flags.json) return printJson(summary);
  for (const note of summary.notes) process.stderr.write(`${input}: ${note}\n`);
  const integer = summary.integerSteps ? `, ${summary.integerSteps} int8 layers` : '';
  process.stdout.write(`wrote ${summary.out} (${summary.bytes} bytes): ${summary.env}, ${summary.steps.length} steps (${summary.steps.join(', ')}), ${summary.weights} weights${integer}\n`);
}

function registerLanguage(exportCommand: Command, language: Language, description: string, outHelp: string, example: string): void {
  const command = exportCommand
    .command(language)
    .description(description)
    .argument('<model.onnx>', 'any ONNX Q-network (float32, float16 with --allow-fp16, int8 from quantize: weights-only, static QDQ or QOperator, dynamic; an ArgMax output compiles its Q-values)')
    .requiredOption('--out <file>', outHelp)
    .addOption(new Option('--weights <format>', 'number format of the inlined weights of float layers').argParser(oneOf(WEIGHT_FORMATS)).default('float32'))
    .option('--env <id>', 'environment, for files without qdistill.env metadata');
  if (language === 'c') {
    command.addOption(
      new Option('--requantize <how>', 'int8 graphs: fixed-point (8-bit codes from layer to layer by integer multiplier and shift, no float between integer layers) or float (as the ONNX ops: onnxruntime\'s arithmetic)')
        .argParser(oneOf(REQUANTIZATIONS))
        .default('fixed-point'),
    );
  }
  addPolicyFileOptions(command)
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', `\nExample:\n  ${example}`)
    .action((input: string, flags: ExportCodeFlags) => exportCode(language, input, flags));
}

/** Registers `export js` and `export c` on the `export` command. */
export function registerExportCode(exportCommand: Command): void {
  registerLanguage(
    exportCommand,
    'js',
    'compile a policy to a dependency-free ES module exporting qValues, qValuesBatch and act (Node and browsers)',
    'output module, e.g. policy.mjs',
    'qdistill export js models/cartpole-v1-student-16x16/student.onnx --out policy.mjs',
  );
  registerLanguage(
    exportCommand,
    'c',
    'compile a policy to a C99 header with qdistill_q_values and qdistill_act (no malloc, only math.h)',
    'output header, e.g. qdistill_policy.h',
    'qdistill export c models/cartpole-v1-student-16x16/student.onnx --out qdistill_policy.h --weights int8',
  );
}
