// The compression passes on the command line: optimize, fp16 and quantize (weights-only int8 for now).
import type { Command } from 'commander';
import { applyPass, type PassResult } from '../compress/apply.js';
import type { Pass } from '../compress/pass.js';
import { fp16Pass } from '../compress/fp16.js';
import { optimizePass } from '../compress/optimize.js';
import { weightQuantizationPass } from '../compress/quantize-weights.js';
import { UsageError } from '../util/errors.js';
import { formatTable, printJson } from './output.js';

function printResult(result: PassResult, json?: boolean): void {
  if (json) return printJson(result);
  const { before, after, comparison } = result;
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  process.stdout.write(
    formatTable(['', 'bytes', 'parameters', 'MACs'], [
      ['before', before.bytes, before.parameters, before.macs ?? '?'],
      ['after', after.bytes, after.parameters, after.macs ?? '?'],
      ['after / before', pct(after.bytes, before.bytes), pct(after.parameters, before.parameters), before.macs && after.macs ? pct(after.macs, before.macs) : '?'],
    ]) + '\n',
  );
  if (comparison) {
    process.stdout.write(
      `on ${comparison.states} states the policy visits: action agreement ${(100 * comparison.agreement).toFixed(1)}%, max |output error| ${comparison.maxAbsError.toPrecision(3)} (outputs up to ${comparison.maxAbsOutput.toPrecision(3)})\n`,
    );
  }
  const untouched = Object.entries(result.report.untouched).map(([op, n]) => `${op} ×${n}`);
  process.stdout.write(`${result.report.changes.length} changes${untouched.length ? `; left as they are: ${untouched.join(', ')}` : ''}\nwrote ${result.out}\n`);
}

/** A pass that takes no options of its own: optimize, fp16. */
function registerPass(program: Command, name: string, description: string, pass: Pass<Record<string, never>>, example: string): void {
  program
    .command(name)
    .description(description)
    .argument('<in.onnx>', 'any ONNX policy')
    .requiredOption('--out <file>', 'output file (never the input)')
    .option('--env <id>', 'environment, for files without qdistill.env metadata (enables the agreement check)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\nExample:\n  ${example}`)
    .action(async (input: string, flags: { out: string; env?: string; json?: boolean }) => {
      printResult(await applyPass(pass, input, flags.out, {}, flags.env), flags.json);
    });
}

export function registerCompress(program: Command): void {
  registerPass(program, 'optimize', 'graph clean-ups with the same outputs: MatMul + Add → Gemm, drop Identity and Dropout, fold and fuse Transposes', optimizePass, 'qdistill optimize runs/acrobot-matmul.onnx --out runs/acrobot-gemm.onnx');
  registerPass(program, 'fp16', 'store float32 weights as float16 (inputs, outputs and arithmetic stay float32)', fp16Pass, 'qdistill fp16 models/cartpole-v1/teacher.onnx --out runs/teacher-fp16.onnx');
  program
    .command('quantize')
    .description('int8 quantization; so far --weights-only: int8 weights with DequantizeLinear, float32 compute')
    .argument('<in.onnx>', 'any ONNX policy')
    .requiredOption('--out <file>', 'output file (never the input)')
    .option('--weights-only', 'int8 weights, dequantized in the graph (the one mode implemented so far)')
    .option('--per-channel', 'one scale per output channel instead of per tensor')
    .option('--env <id>', 'environment, for files without qdistill.env metadata (enables the agreement check)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  qdistill quantize runs/student/student.onnx --weights-only --per-channel --out runs/student-int8.onnx')
    .action(async (input: string, flags: { out: string; weightsOnly?: boolean; perChannel?: boolean; env?: string; json?: boolean }) => {
      if (!flags.weightsOnly) throw new UsageError('only --weights-only quantization exists so far (dynamic and static modes are not built yet)');
      printResult(await applyPass(weightQuantizationPass, input, flags.out, { perChannel: Boolean(flags.perChannel) }, flags.env), flags.json);
    });
}
