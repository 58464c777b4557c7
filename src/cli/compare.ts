import type { Command } from 'commander';
import { addLatencyOptions, skippedLines } from './bench.js';
import { integer } from './options.js';
import { runtimeOptionsFrom, type RuntimeTuningFlags } from './runtime-option.js';
import { formatTable, printJson, progressBars } from './output.js';
import { checkEnvId } from '../envs/registry.js';
import { type CompareReport } from '../pipelines/report/types.js';

interface CompareFlags extends RuntimeTuningFlags {
  env?: string;
  episodes: number;
  runtime?: string;
  batch: number[];
  seconds: number;
  out: string;
  json?: boolean;
}

export function registerCompare(program: Command): void {
  addLatencyOptions(
    program
      .command('compare')
      .description('a teacher and its students side by side: return, agreement, size and latency per runtime; writes report.{json,md,html}')
      .argument('<teacher.onnx>', 'the teacher policy')
      .argument('<student.onnx...>', 'students (or compressed variants) of the same environment')
      .option('--env <id>', 'environment for files without qdistill.env metadata')
      .option('--episodes <n>', 'greedy episodes per model, on the same seeds', integer(1, 100_000), 100)
      .requiredOption('--out <dir>', 'folder for report.json, report.md and report.html')
      .option('--json', 'print the report as JSON'),
    1,
  )
    .addHelpText(
      'after',
      '\nExample:\n  qdistill compare models/cartpole-v1/teacher.onnx models/cartpole-v1-student-16x16/student.onnx --out runs/report-cartpole\n  qdistill compare models/pytorch/cartpole-v1-mlp.onnx models/cartpole-v1-student-16x16/student.onnx --env CartPole-v1 --runtime ort-cpu --out runs/r',
    )
    .action(async (teacher: string, students: string[], flags: CompareFlags) => {
      if (flags.env) checkEnvId(flags.env);
      const { selectRuntimes } = await import('../benchmark/index.js');
      const { compareIntoFolder } = await import('../pipelines/index.js');
      const selection = await selectRuntimes(flags.runtime);
      const bars = progressBars();
      const { written, ...report } = await compareIntoFolder(flags.out, teacher, students, {
        env: flags.env,
        episodes: flags.episodes,
        selection,
        batches: flags.batch,
        seconds: flags.seconds,
        runtimeOptions: runtimeOptionsFrom(flags),
        onProgress: bars,
      });
      bars.stop();
      if (flags.json) return printJson(report);
      process.stdout.write((await compareText(report)) + `saved ${written.join(', ')}\n`);
    });
}

/** The summary and latency tables as `compare` and `demo` print them. */
export async function compareText(report: CompareReport): Promise<string> {
  const { reportLatencyTable, summaryTable } = await import('../pipelines/report/tables.js');
  const summary = summaryTable(report);
  const latency = reportLatencyTable(report);
  return `${formatTable(summary.headers, summary.rows)}\n\n${formatTable(latency.headers, latency.rows)}\n${skippedLines(report.latency)}`;
}
