import type { Command } from 'commander';
import type { BenchRun } from '../benchmark/index.js';
import { formatMicros, latencyTable, memoryNote } from '../benchmark/format.js';
import { RUNTIME_NAMES, SLOW_TO_START } from '../infer/runtime-names.js';
import { integerList, number } from './options.js';
import { addRuntimeTuningOptions, runtimeOptionsFrom, type RuntimeTuningFlags } from './runtime-option.js';
import { formatTable, printJson, progressBars } from './output.js';
import { checkEnvId } from '../envs/registry.js';

interface BenchFlags extends RuntimeTuningFlags {
  runtime?: string;
  batch: number[];
  seconds: number;
  env?: string;
  json?: boolean;
}

export const DEFAULT_BATCHES = [1, 32, 1024];

/** `--runtime`, `--batch`, `--seconds`, `--threads` as bench and compare share them. */
export function addLatencyOptions(command: Command, defaultSeconds: number): Command {
  const withLatency = command
    .option(
      '--runtime <list>',
      `runtimes, comma-separated (${RUNTIME_NAMES.join(', ')}), or all; default: every available one except ${[...SLOW_TO_START].join(', ')} (slow to start)`,
    )
    .option('--batch <sizes>', 'batch sizes for throughput', integerList(65_536, 32), DEFAULT_BATCHES)
    .option('--seconds <s>', 'time budget of each measurement', number(0.01, 600), defaultSeconds);
  return addRuntimeTuningOptions(withLatency);
}

/** Runtimes not run here, and model × runtime pairs a runtime refused, one line each. */
export function skippedLines(run: Pick<BenchRun, 'skipped' | 'unsupported'>): string {
  return [...run.skipped.map((s) => `skipped ${s.name}: ${s.reason}\n`), ...run.unsupported.map((u) => `${u.runtime} cannot run ${u.file}: ${u.reason}\n`)].join('');
}

export function registerBench(program: Command): void {
  addLatencyOptions(
    program
      .command('bench')
      .description('latency, throughput, cold start and memory of ONNX policies on each runtime, side by side')
      .argument('<model.onnx...>', 'policy files (teacher, students, compressed variants)')
      .option('--env <id>', "environment for files without qdistill.env metadata (the observations come from it)")
      .option('--json', 'print all figures as JSON'),
    2,
  )
    .addHelpText(
      'after',
      '\nExample:\n  qdistill bench models/cartpole-v1/teacher.onnx models/cartpole-v1-student-16x16/student.onnx\n  qdistill bench models/minatar-breakout/teacher.onnx --runtime all --batch 1,256 --seconds 1 --json',
    )
    .action(async (files: string[], flags: BenchFlags) => {
      if (flags.env) checkEnvId(flags.env);
      const { benchModels, selectRuntimes } = await import('../benchmark/index.js');
      const selection = await selectRuntimes(flags.runtime);
      const bars = progressBars();
      const run = await benchModels(files, selection, {
        env: flags.env,
        batches: flags.batch,
        seconds: flags.seconds,
        runtimeOptions: runtimeOptionsFrom(flags),
        onProgress: bars,
      });
      bars.stop();
      if (flags.json) return printJson(run);
      process.stdout.write(benchText(run));
    });
}

function benchText(run: BenchRun): string {
  const { headers, rows } = latencyTable(run.results, run.batches);
  const notes = [
    `latency: ${run.singleMeasures}; ${run.secondsPerMeasurement} s per measurement; timer + await floor ${formatMicros(run.timerAndAwaitFloorUs)} µs`,
    `peak memory: ${memoryNote(run.results)}`,
    `machine: ${run.machine}`,
  ];
  const inEngine = run.results.find((r) => r.inEngine);
  if (inEngine) notes.splice(1, 0, `in-engine: ${inEngine.inEngine!.measured}`);
  return `${formatTable(headers, rows)}\n${notes.join('\n')}\n${skippedLines(run)}`;
}
