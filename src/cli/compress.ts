// The compression passes on the command line: optimize, fp16, prune and quantize (static, dynamic or weights-only int8).
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CheckedPassResult, LayerSearchReport } from '../compress/index.js';
import {
  CALIBRATION_METHODS,
  DEFAULT_CALIBRATION_STATES,
  DEFAULT_MIN_AGREEMENT,
  DEFAULT_PERCENTILE,
  STATIC_FORMATS,
  type CalibrationMethod,
  type StaticFormat,
} from '../compress/calibration-defaults.js';
import { policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';
import { UsageError } from '../util/errors.js';
import { progressBars } from './progress.js';
import { integer, number, oneOf } from './options.js';
import { formatTable, printJson } from './output.js';

interface ReportFlags extends PolicyFileFlags {
  env?: string;
  episodes: number;
  strict?: boolean;
  json?: boolean;
}

/** The options every pass command shares: the env for files without metadata, how to read the file, the reward check, JSON. */
function addReportOptions(command: Command): Command {
  return command
    .option('--env <id>', 'environment, for files without qdistill.env metadata (enables the agreement and reward checks)')
    .option('--output <name>', 'the graph output holding the Q-values, for files with several outputs: what the checks compare (default: q_values, logits, else the first)')
    .option('--allow-fp16', 'accept a float16 file (torch model.half()): the pass runs on its float32 widening, so the output takes and gives float32')
    .option('--episodes <n>', 'greedy episodes on the same seeds to compare the return before and after (0: skip)', integer(0, 100_000), 20)
    .option('--strict', "exit 2 when the pass loses more than 5% of the input's gain over a random policy (the file is still written)")
    .option('--json', 'print the result as JSON');
}

/** Prints the pass result, with the return before and after when the environment is known; warns (or with --strict fails) on lost reward. */
async function printResult(result: CheckedPassResult & { search?: LayerSearchReport | null }, flags: ReportFlags): Promise<void> {
  const { reward } = result;
  if (flags.json) printJson(result);
  else printText(result);
  // Nothing quantized is an honest result, not an error: the file is written, and the warning says why.
  if (result.search?.warning) process.stderr.write(`qdistill: warning: ${result.search.warning}\n`);
  if (!reward?.warning) return;
  // --strict turns the warning into the one-line error; the file stays written for inspection.
  if (flags.strict) throw new UsageError(`--strict: ${reward.warning}`, result.out);
  process.stderr.write(`qdistill: warning: ${reward.warning}\n`);
}

function printText(result: CheckedPassResult & { search?: LayerSearchReport | null }): void {
  const { reward } = result;
  const { before, after, comparison } = result;
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  for (const line of result.inputNotes) process.stdout.write(`${line}\n`);
  if (result.search) process.stdout.write(searchText(result.search));
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
  if (reward) {
    const show = (r: { mean: number; std: number }) => `${r.mean.toFixed(1)} ± ${r.std.toFixed(1)}`;
    process.stdout.write(`return over ${reward.episodes} episodes (same seeds): before ${show(reward.before)}, after ${show(reward.after)}\n`);
  }
  const list = (counts: Record<string, number>) => Object.entries(counts).map(([op, n]) => `${op} ×${n}`).join(', ');
  const declined = list(result.report.declined);
  const untouched = list(result.report.untouched);
  process.stdout.write(
    `${result.report.changes.length} changes${declined ? `; not rewritten: ${declined}` : ''}${untouched ? `; no rewriter: ${untouched}` : ''}\n` +
      (result.report.notes ?? []).map((line) => `${line}\n`).join('') +
      `wrote ${result.out}\n`,
  );
}

/** The layer search's table: each layer quantized alone, per tensor and per channel, and what became of it. */
function searchText(search: LayerSearchReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const trial = (t: { agreement: number; maxAbsError: number } | undefined) => (t ? `${pct(t.agreement)} / ${t.maxAbsError.toPrecision(3)}` : '-');
  const rows = search.layers.map((l) => [l.name, l.op, trial(l.alone?.perTensor), trial(l.alone?.perChannel), l.quantized ? `int8 ${l.perChannel ? 'per channel' : 'per tensor'}` : 'float32', l.why]);
  return (
    `layer search on ${search.states} states from ${search.source} (target: ${pct(search.target)} action agreement with the float model):\n` +
    formatTable(['layer', 'op', 'alone per tensor (agreement / max |ΔQ|)', 'alone per channel', 'result', 'why'], rows) +
    `\nkept float32: ${search.keptFloat.join(', ') || 'none'}; int8: ${search.quantized.join(', ') || 'none'}; agreement of the plan on those states ${pct(search.agreement)}\n`
  );
}

/** A pass that takes no options of its own: optimize, fp16. */
function registerPass(program: Command, name: 'optimize' | 'fp16', description: string, example: string): void {
  addReportOptions(program.command(name).description(description).argument('<in.onnx>', 'any ONNX policy').requiredOption('--out <file>', 'output file (never the input)'))
    .addHelpText('after', `\nExample:\n  ${example}`)
    .action(async (input: string, flags: ReportFlags & { out: string }) => {
      const passes = await import('../compress/index.js');
      await printResult(await passes[name](input, { out: flags.out, env: flags.env, episodes: flags.episodes, ...policyFileOptionsFrom(flags) }), flags);
    });
}

export function registerCompress(program: Command): void {
  registerPass(program, 'optimize', 'graph clean-ups with the same outputs: MatMul + Add → Gemm, drop Identity and Dropout, fold and fuse Transposes', 'qdistill optimize runs/acrobot-matmul.onnx --out runs/acrobot-gemm.onnx');
  registerPass(program, 'fp16', 'store float32 weights as float16 (inputs, outputs and arithmetic stay float32)', 'qdistill fp16 models/cartpole-v1/teacher.onnx --out runs/teacher-fp16.onnx');
  addReportOptions(program.command('prune'))
    .description('magnitude pruning: zero the smallest weights, or (--structured) remove whole hidden units so the file and MACs shrink')
    .argument('<in.onnx>', 'any ONNX policy')
    .requiredOption('--out <file>', 'output file (never the input)')
    .requiredOption('--sparsity <s>', 'share of weights (or of hidden units with --structured) to remove, e.g. 0.5', number(0, 0.99))
    .option('--structured', 'remove hidden units of Gemm → (activation) → Gemm chains')
    .option('--finetune', 'recover with a short distillation from the unpruned model (MLP policies; unstructured: pruned again after it)')
    .option('--finetune-rounds <n>', 'distillation rounds of --finetune at most', integer(1, 10_000), 3)
    .option('--seed <n>', 'random seed of --finetune', integer(0, 2 ** 32 - 1), 1)
    .addHelpText('after', '\nExample:\n  qdistill prune runs/student/student.onnx --sparsity 0.5 --structured --out runs/student-pruned.onnx\n  qdistill prune models/lunarlander-v3-student-64x64/student.onnx --sparsity 0.5 --structured --finetune --out runs/lander-pruned.onnx')
    .action(async (input: string, flags: ReportFlags & { out: string; sparsity: number; structured?: boolean; finetune?: boolean; finetuneRounds: number; seed: number }) => {
      const { prune } = await import('../pipelines/index.js');
      const finetune = flags.finetune ? { rounds: flags.finetuneRounds, seed: flags.seed } : false;
      await printResult(
        await prune(input, { out: flags.out, env: flags.env, sparsity: flags.sparsity, structured: Boolean(flags.structured), finetune, episodes: flags.episodes, ...policyFileOptionsFrom(flags) }),
        flags,
      );
    });
  addReportOptions(program.command('quantize'))
    .description('int8 quantization: static (calibrated activation ranges), dynamic (activations quantized at run time) or weights-only')
    .argument('<in.onnx>', 'any ONNX policy')
    .requiredOption('--out <file>', 'output file (never the input)')
    .addOption(new Option('--mode <mode>', 'static: int8 activations at ranges calibrated on states; dynamic: ranges measured at run time').argParser(oneOf(['dynamic', 'static'] as const)))
    .option('--weights-only', 'int8 weights dequantized in the graph, float32 compute: the smallest file every runtime runs')
    .addOption(new Option('--format <format>', 'static: qdq (QuantizeLinear/DequantizeLinear pairs onnxruntime fuses) or qoperator (QLinearMatMul, QLinearConv)').argParser(oneOf(STATIC_FORMATS)))
    .option('--calibrate <source>', "static, --keep-float auto: a distillation dataset (.qdb) or an env id to collect states in (default: the model's env)")
    .addOption(new Option('--method <method>', 'static: how observed values become a range').argParser(oneOf(CALIBRATION_METHODS)))
    .option('--percentile <p>', `static, --method percentile: share of |x| kept inside the range, in percent (default ${DEFAULT_PERCENTILE})`, number(50, 100))
    .option('--calibration-states <n>', `static, --keep-float auto: states to calibrate and search on (default ${DEFAULT_CALIBRATION_STATES})`, integer(1, 1_000_000))
    .option('--per-channel', 'one weight scale per output channel instead of per tensor (with --keep-float auto the search chooses per layer)')
    .option('--quantize-input-layer', 'static, dynamic: also quantize layers that read the observation (kept float by default: its features span very different ranges; --keep-float auto then tries them too)')
    .option(
      '--keep-float <auto|names>',
      'layers left float32 (default: none). auto: quantize each MatMul/Gemm/Conv alone on the calibration states (per tensor and per channel), then add layers from least to most harmful while the action agreement stays ≥ --min-agreement; or node names separated by commas',
      keepFloatList,
    )
    .option('--min-agreement <share>', `--keep-float auto: least action agreement with the float model, in [0, 1] (default ${DEFAULT_MIN_AGREEMENT})`, number(0, 1))
    .addHelpText(
      'after',
      '\nExample:\n  qdistill quantize runs/student/student.onnx --mode static --format qdq --method entropy --per-channel --out runs/student-int8.onnx\n' +
        '  qdistill quantize runs/student/student.onnx --mode static --format qoperator --calibrate runs/student/dataset.qdb --out runs/student-qop.onnx\n' +
        '  qdistill quantize runs/student/student.onnx --mode dynamic --out runs/student-dyn.onnx\n' +
        '  qdistill quantize runs/student/student.onnx --weights-only --per-channel --out runs/student-w8.onnx\n' +
        '  qdistill quantize teacher.onnx --mode static --method entropy --keep-float auto --min-agreement 0.99 --out runs/teacher-mixed.onnx\n' +
        '  qdistill quantize teacher.onnx --mode dynamic --keep-float gemm1,gemm2 --out runs/teacher-dyn.onnx\n' +
        '  qdistill quantize policy_fp16.onnx --env CartPole-v1 --allow-fp16 --weights-only --keep-float auto --out runs/policy-w8.onnx',
    )
    .action(async (input: string, flags: QuantizeFlags) => {
      const perChannel = Boolean(flags.perChannel);
      const keepInputLayer = !flags.quantizeInputLayer;
      if (flags.weightsOnly && flags.mode) throw new UsageError('--weights-only and --mode are alternatives; give one');
      const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const auto = flags.keepFloat === 'auto';
      const staticOnly = (['format', 'method', 'percentile'] as const).filter((k) => flags[k] !== undefined);
      if (flags.mode !== 'static' && staticOnly.length) throw new UsageError(`${flagName(staticOnly[0])} applies to --mode static only`);
      const statesFlags = (['calibrate', 'calibrationStates'] as const).filter((k) => flags[k] !== undefined);
      if (flags.mode !== 'static' && !auto && statesFlags.length) throw new UsageError(`${flagName(statesFlags[0])} applies to --mode static and --keep-float auto only`);
      if (flags.minAgreement !== undefined && !auto) throw new UsageError('--min-agreement applies to --keep-float auto only');
      if (auto && flags.perChannel) throw new UsageError('--per-channel and --keep-float auto are alternatives: the search chooses per tensor or per channel for each layer');
      if (flags.percentile !== undefined && flags.method !== 'percentile') throw new UsageError('--percentile applies to --method percentile only');
      if (!flags.weightsOnly && flags.mode !== 'static' && flags.mode !== 'dynamic') throw new UsageError('give --mode static, --mode dynamic or --weights-only');
      const { quantize } = await import('../compress/index.js');
      const bars = progressBars();
      try {
        const mode = flags.weightsOnly ? 'weights-only' : flags.mode!;
        await printResult(await quantize(input, { ...flags, ...policyFileOptionsFrom(flags), mode, perChannel, quantizeInputLayer: !keepInputLayer, onProgress: bars }), flags);
      } finally {
        bars?.stop();
      }
    });
}

interface QuantizeFlags extends ReportFlags {
  out: string;
  mode?: 'dynamic' | 'static';
  weightsOnly?: boolean;
  format?: StaticFormat;
  calibrate?: string;
  method?: CalibrationMethod;
  percentile?: number;
  calibrationStates?: number;
  perChannel?: boolean;
  quantizeInputLayer?: boolean;
  keepFloat?: 'auto' | string[];
  minAgreement?: number;
}

/** `--keep-float auto` or `--keep-float a,b`: the search, or layer names. */
function keepFloatList(value: string): 'auto' | string[] {
  if (value.trim() === 'auto') return 'auto';
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError('expected auto, or node names separated by commas');
  return names;
}
