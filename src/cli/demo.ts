// `npm start` = `qdistill demo`: the whole job on a committed teacher — distill a small student, quantize it
// (dynamic and static int8), then evaluate and benchmark teacher and students on every runtime that works
// here, write the comparison report and print its summary. --train trains the teacher first.
import type { Command } from 'commander';
import type { TeacherCard } from '../policy/card.js';
import { compareText } from './compare.js';
import { integer, integerList, number } from './options.js';
import { formatTable, printJson, progressBars } from './output.js';

export function teacherTable(teachers: { card: TeacherCard }[]): string {
  return formatTable(
    ['env', 'network', 'params', 'steps', 'train wall time', 'backend', 'eval return (card)'],
    teachers.map(({ card }) => [
      card.env,
      card.network,
      card.parameters.toLocaleString('en'),
      card.steps.toLocaleString('en'),
      `${card.wallTimeSeconds.toFixed(0)} s`,
      card.backend,
      `${card.evalReward.mean.toFixed(1)} ± ${card.evalReward.std.toFixed(1)} (${card.evalReward.episodes} ep)`,
    ]),
  );
}

interface DemoFlags {
  env: string;
  student?: number[];
  train?: boolean;
  out?: string;
  episodes: number;
  seconds: number;
  runtime?: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole job on a committed teacher: distill, quantize, evaluate and benchmark on every runtime here, write the report (what `npm start` runs)')
    .option('--env <id>', 'environment of the teacher (models/<env>/teacher.onnx)', 'CartPole-v1')
    .option('--student <sizes>', 'student hidden sizes (default: 16,16 for CartPole, else 64,64)', integerList(65_536, 16))
    .option('--train', 'train the teacher from its preset first (into runs/demo-<env>/teacher)')
    .option('--out <dir>', 'output folder (default: runs/demo-<env>)')
    .option('--episodes <n>', 'evaluation episodes per model, on the same seeds', integer(1, 100_000), 100)
    .option('--seconds <s>', 'time budget of each latency measurement', number(0.01, 60), 0.25)
    .option('--runtime <list>', 'runtimes to benchmark, comma-separated (default: all that work here, the browser included)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  qdistill demo\n  qdistill demo --env LunarLander-v3 --student 32,32 --episodes 20\n  qdistill demo --env Acrobot-v1 --train')
    .action(async (flags: DemoFlags) => runDemo(flags));
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const { committedTeachers, runDemo: demo } = await import('../pipelines/demo.js');
  const say = (text: string) => flags.json || process.stdout.write(text);
  say(`Committed teachers (models/):\n${teacherTable(committedTeachers())}\n\n`);
  const bars = progressBars();
  const { report, written } = await demo({ ...flags, onProgress: bars, onLog: (line) => say(`${line}\n`) });
  bars?.stop();
  if (flags.json) return printJson(report);
  say(`\n${await compareText(report)}\nwrote ${written.join(', ')}\n`);
}
