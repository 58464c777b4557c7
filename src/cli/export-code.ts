// `qdistill export js` and `qdistill export c`: the policy compiled to a standalone ES module or C header.
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { generateC } from '../codegen/c.js';
import { generateJs } from '../codegen/js.js';
import { programFromBytes, WEIGHT_FORMATS, type Program, type WeightFormat } from '../codegen/program.js';
import { readPolicyBytes } from '../infer/open.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import { checkEnvId, commandLine } from './common.js';
import { oneOf } from './options.js';
import { printJson } from './output.js';

interface ExportCodeFlags {
  out: string;
  weights: WeightFormat;
  env?: string;
  json?: boolean;
}

type Language = 'js' | 'c';

function exportCode(language: Language, input: string, flags: ExportCodeFlags): void {
  if (resolve(input) === resolve(flags.out)) throw new UsageError('--out must differ from the input model', flags.out);
  if (flags.env) checkEnvId(flags.env);
  const bytes = readPolicyBytes(input);
  const program: Program = programFromBytes(bytes, input, { env: flags.env, weights: flags.weights, target: `export ${language}` });
  const command = commandLine();
  const code = language === 'js' ? generateJs(program, { command }) : generateC(program, { command, fileName: basename(flags.out) });
  writeFileAtomic(flags.out, code);
  const summary = {
    out: flags.out,
    language,
    env: program.env,
    weights: program.weights,
    bytes: Buffer.byteLength(code),
    source: program.source,
    observationSize: program.observationSize,
    actionCount: program.actionCount,
    steps: program.steps.map((s) => s.kind),
  };
  if (flags.json) printJson(summary);
  else process.stdout.write(`wrote ${flags.out} (${summary.bytes} bytes): ${program.env}, ${program.steps.length} steps (${summary.steps.join(', ')}), ${program.weights} weights\n`);
}

function registerLanguage(exportCommand: Command, language: Language, description: string, outHelp: string, example: string): void {
  exportCommand
    .command(language)
    .description(description)
    .argument('<model.onnx>', 'any ONNX policy (float32, float16 or weights-only int8)')
    .requiredOption('--out <file>', outHelp)
    .addOption(new Option('--weights <format>', 'number format of the inlined weights').argParser(oneOf(WEIGHT_FORMATS)).default('float32'))
    .option('--env <id>', 'environment, for files without qdistill.env metadata')
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
