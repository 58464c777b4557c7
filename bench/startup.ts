// Start-up time and peak memory of short CLI commands, each run as a fresh process (what a user waits for).
// `--cli DIR` points at another checkout's bin/qdistill, so two builds can be measured side by side in one run.
// Usage: node --import tsx bench/startup.ts [--runs 9] [--cli /path/to/other/checkout]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(flag('--runs') ?? 9);
const root = fileURLToPath(new URL('..', import.meta.url));
const checkouts = [root, ...(flag('--cli') ? [path.resolve(flag('--cli')!)] : [])];
const model = path.join(root, 'models/cartpole-v1-student-16x16/student.onnx');
const commands: Record<string, string[]> = { '--help': ['--help'], envs: ['envs'], inspect: ['inspect', model] };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One run through GNU time: wall seconds and maximum resident set size in KiB. */
function measure(bin: string, argv: string[]): { seconds: number; maxRssKiB: number } {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, bin, ...argv], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${bin} ${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  const [seconds, rss] = result.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { seconds, maxRssKiB: rss };
}

const rows: object[] = [];
for (const [name, argv] of Object.entries(commands)) {
  // Interleave the checkouts run by run so that a busy moment of the machine hits both alike.
  const samples = checkouts.map(() => ({ seconds: [] as number[], rss: [] as number[] }));
  for (let run = 0; run < runs; run++) {
    checkouts.forEach((checkout, i) => {
      const { seconds, maxRssKiB } = measure(path.join(checkout, 'bin/qdistill'), argv);
      samples[i].seconds.push(seconds);
      samples[i].rss.push(maxRssKiB);
    });
  }
  checkouts.forEach((checkout, i) => {
    rows.push({ command: `qdistill ${name}`, checkout, runs, medianSeconds: median(samples[i].seconds), medianMaxRssMiB: +(median(samples[i].rss) / 1024).toFixed(1) });
  });
}
console.log(JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, rows }, null, 2));
