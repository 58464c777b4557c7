// `qdistill compress`: the one-command recipe (see src/pipelines/compress-recipe.ts).
import { type Command, Option } from 'commander';
import { COLLECTORS, type CollectMode } from '../distill/collect.js';
import type { Candidate, RecipeOptions } from '../pipelines/compress-recipe.js';
import { DEFAULT_RECIPE_SIZES } from '../pipelines/recipe-defaults.js';
import type { StudentSize } from '../distill/index.js';
import { integer, number, oneOf, sizeList } from './options.js';
import { formatTable, printJson } from './output.js';
import { DEFAULT_DISTILL } from '../distill/config.js';
import { policyFileOptionsFrom } from './runtime-option.js';

interface RecipeFlags extends Pick<RecipeOptions, 'env' | 'keep' | 'out' | 'episodes' | 'sizes' | 'seed' | 'latencySeconds' | 'output' | 'allowFp16'> {
  students: number;
  rounds: number;
  collect: CollectMode;
  json?: boolean;
}

/** --sizes as the recipe takes them: students of width 1. */
function recipeSizes(value: string): StudentSize[] {
  return sizeList(value).map((hidden) => ({ hidden, width: 1 }));
}

export function candidateTable(candidates: Candidate[], teacherBytes: number): string {
  return formatTable(
    ['candidate', 'bytes', 'of teacher bytes', 'params', 'return (mean ± std)', 'of teacher gain', 'p50 ort-cpu', 'keeps'],
    candidates.map((c) => [
      c.name,
      c.bytes,
      `${((100 * c.bytes) / teacherBytes).toFixed(2)}%`,
      c.parameters,
      `${c.reward.mean.toFixed(1)} ± ${c.reward.std.toFixed(1)}`,
      `${(100 * c.ofTeacher).toFixed(1)}%`,
      `${c.p50Us.toFixed(1)} µs`,
      c.keeps ? 'yes' : 'no',
    ]),
  );
}

export function registerCompressRecipe(program: Command): void {
  program
    .command('compress')
    .description('the whole recipe: distill students of several sizes, prune, quantize, and keep the smallest policy that holds --keep of the teacher reward')
    .argument('<teacher.onnx>', 'the teacher policy (any ONNX policy; --env for files without qdistill metadata)')
    .requiredOption('--out <dir>', 'output folder: policy.onnx, card.json, the students and every variant tried')
    .option('--env <id>', "environment (default: the teacher's qdistill.env metadata)")
    .option('--output <name>', "the teacher's graph output holding the Q-values, for files with several outputs (default: q_values, logits, else the first)")
    .option('--allow-fp16', 'accept a float16 teacher (torch model.half()): it runs with float32 casts at its boundary, measured and distilled from as it is')
    .option('--keep <share>', "least share of the teacher's gain over a random policy to keep", number(0, 1), 0.98)
    .option('--sizes <list>', 'student sizes to distill', recipeSizes, DEFAULT_RECIPE_SIZES)
    .option('--episodes <n>', 'evaluation episodes per candidate (same seeds for all)', integer(1, 100_000), 100)
    .option('--students <n>', 'how many of the smallest students that keep the reward get pruned and quantized', integer(1, 64), 2)
    .option('--rounds <n>', 'distillation rounds per student at most (each stops earlier once the paired stop rule is met)', integer(1, 10_000), DEFAULT_DISTILL.rounds)
    .addOption(new Option('--collect <who>', 'who acts while states are collected (student = DAgger-style)').argParser(oneOf(COLLECTORS)).default('student'))
    .option('--latency-seconds <s>', 'seconds of latency measurement per candidate', number(0.05, 60), 0.5)
    .option('--seed <n>', 'random seed of the distillation', integer(0, 2 ** 32 - 1), 1)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  qdistill compress models/cartpole-v1/teacher.onnx --keep 0.98 --out runs/cartpole-compressed\n  qdistill compress models/lunarlander-v3/teacher.onnx --sizes 64x64,32x32 --keep 0.95 --out runs/lander-compressed')
    .action(async (teacher: string, flags: RecipeFlags) => {
      const log = (line: string) => flags.json || process.stderr.write(`${line}\n`);
      const { runRecipe } = await import('../pipelines/compress-recipe.js');
      const result = await runRecipe(teacher, {
        env: flags.env,
        ...policyFileOptionsFrom(flags),
        keep: flags.keep,
        out: flags.out,
        episodes: flags.episodes,
        sizes: flags.sizes,
        seed: flags.seed,
        latencySeconds: flags.latencySeconds,
        closeSize: 1.1,
        studentsToCompress: flags.students,
        distill: { rounds: flags.rounds, collect: flags.collect },
        log,
        onCandidate: (c) => log(`${c.name}: ${c.bytes} bytes, return ${c.reward.mean.toFixed(1)} ± ${c.reward.std.toFixed(1)} (${(100 * c.ofTeacher).toFixed(1)}% of teacher gain), p50 ${c.p50Us.toFixed(1)} µs`),
      });
      if (flags.json) return printJson(result);
      process.stdout.write(`${candidateTable(result.candidates, result.teacher.bytes)}\n\n`);
      const p = result.pick;
      process.stdout.write(
        `pick: ${p.name} — ${p.steps.join(' → ') || 'the teacher itself'}\n` +
          `      ${p.bytes} bytes (${((100 * p.bytes) / result.teacher.bytes).toFixed(2)}% of the teacher), return ${p.reward.mean.toFixed(1)} ± ${p.reward.std.toFixed(1)} over ${p.reward.episodes} episodes (${(100 * p.ofTeacher).toFixed(1)}% of the teacher's gain)\n` +
          `      why: ${result.why}\nwrote ${result.pick.file} and ${result.out}/card.json\n`,
      );
    });
}
