// `qdistill distill` and `qdistill sweep`: flags → the distill stage → the students table or JSON.
import { join } from 'node:path';
import { type Command, Option, InvalidArgumentError } from 'commander';
import { COLLECTORS } from '../distill/collect.js';
import { LOSSES } from '../distill/loss-names.js';
import type { DistillOptions, StudentSize } from '../distill/index.js';
import { BACKEND_NAMES } from '../tfjs/backend-names.js';
import { integer, integerList, number, oneOf, sizeList } from './options.js';
import { printJson, progressBars } from './output.js';
import { DEFAULT_DISTILL, DEFAULT_HELD_OUT_SHARE } from '../distill/config.js';
import { DATASET_FORMATS } from '../policy/dataset.js';
import { UsageError } from '../util/errors.js';
import { addPolicyFileOptions, policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';

interface DistillFlags extends Omit<DistillOptions, 'output' | 'allowFp16' | 'teachers'>, PolicyFileFlags {
  teacher: string[];
  student: number[];
  width?: number;
  gradientSteps: number;
  json?: boolean;
}

/** The flags distill and sweep share. */
function addDistillOptions(command: Command): Command {
  command
    .option('--env <id>', "environment (default: the teacher's qdistill.env metadata)")
    .addOption(
      new Option('--teacher <file>', 'a teacher (FILE or FILE@ENV); repeat it: teachers of one environment make an ensemble, of several environments one student with a shared trunk and a file per environment')
        .argParser((v: string, all: string[]) => [...all, v])
        .default([], 'the positional teacher only'),
    )
    .requiredOption('--out <dir>', 'output folder');
  return addPolicyFileOptions(command)
    // No commander default: left out, the stage takes kl, or nll (behaviour cloning) for a teacher that gives actions only.
    .addOption(new Option('--loss <name>', `distillation loss (default ${DEFAULT_DISTILL.loss}; nll — behaviour cloning — for demonstrations and teachers that give actions only)`).argParser(oneOf(LOSSES)))
    .option('--temperature <t>', "teacher temperature τ for kl and dqn+kl, or auto: --relative-temperature × the teacher's Q scale (median max − min Q)", autoOrNumber, DEFAULT_DISTILL.temperature)
    .option('--relative-temperature <r>', "with --temperature auto: τ as a share of the teacher's Q scale", number(1e-6, 1e6), DEFAULT_DISTILL.relativeTemperature)
    .option('--lambda <l>', 'weight of the KL term in dqn+kl', number(0), DEFAULT_DISTILL.lambda)
    .addOption(new Option('--collect <who>', 'who acts while states are collected').argParser(oneOf(COLLECTORS)).default(DEFAULT_DISTILL.collect))
    .option('--memory-size <n>', 'replay memory capacity (states)', integer(1, 100_000_000), DEFAULT_DISTILL.memorySize)
    .option('--rounds <n>', 'collect/train rounds at most', integer(1, 10_000), DEFAULT_DISTILL.rounds)
    .option('--steps-per-round <n>', 'environment steps collected per round', integer(1, 100_000_000), DEFAULT_DISTILL.stepsPerRound)
    .option('--num-envs <n>', 'envs played side by side while collecting and in the final evaluations: one policy call and one env step call for all of them (for a gym: env, one round trip to Python)', integer(1, 1024), DEFAULT_DISTILL.numEnvs)
    .option('--gradient-steps <n>', 'gradient steps per round', integer(1, 10_000_000), DEFAULT_DISTILL.gradientStepsPerRound)
    .option('--batch-size <n>', 'minibatch size', integer(1, 65_536), DEFAULT_DISTILL.batchSize)
    .option('--learning-rate <lr>', 'Adam learning rate', number(1e-8), DEFAULT_DISTILL.learningRate)
    .option('--eval-episodes <n>', 'paired episodes student and teacher play (same seeds) after each round, for the stop rule (at least 10 unless --no-early-stop)', integer(1, 100_000), DEFAULT_DISTILL.evalEpisodes)
    .option('--stop-margin <share>', "stop once the student is not worse than the teacher by more than this share of the teacher's gain over random", number(0, 1), DEFAULT_DISTILL.stopMargin)
    .option('--stop-confidence <p>', 'confidence of the stop rule over all rounds (one-sided, Bonferroni over rounds)', number(0.5, 0.999999), DEFAULT_DISTILL.stopConfidence)
    .option('--final-episodes <n>', 'greedy episodes of the final evaluation', integer(1, 100_000), 100)
    .option('--seed <n>', 'random seed (same seed → same student)', integer(0, 2 ** 32 - 1), DEFAULT_DISTILL.seed)
    // Not `auto`: its timing-based pick could change between runs, and with it the float rounding, so a seed
    // would no longer fix the student. wasm falls back to cpu by itself where its gradients differ.
    .addOption(new Option('--backend <name>', 'tfjs backend for the students').argParser(oneOf(BACKEND_NAMES)).default('wasm'))
    .option('--no-early-stop', 'spend the whole budget (default: stop once the paired stop rule is met)')
    .option('--dataset <file>', 'reuse the labelled states of an earlier run (its dataset.qdb or dataset.npz) instead of collecting')
    .addOption(new Option('--dataset-format <format>', 'how the labelled states beside the student are written: dataset.qdb, or dataset.npz for numpy.load (observations, actions, rewards, next_observations, terminated, targets, meta)').argParser(oneOf(DATASET_FORMATS)).default('qdb'))
    .option('--json', 'print the result as JSON');
}

/** The positional teacher and every --teacher: the first is the teacher, the rest join it in an ensemble. */
function teachersOf(positional: string | undefined, flags: DistillFlags): { first: string | undefined; more: string[] } {
  const all = [...(positional ? [positional] : []), ...flags.teacher];
  return { first: all[0], more: all.slice(1) };
}

function options(flags: DistillFlags): DistillOptions {
  const { student: _s, width: _w, gradientSteps, json, output: _o, allowFp16: _f, teacher: _t, ...rest } = flags;
  // --json keeps stderr for errors only; otherwise bars and the stage's notes go there.
  const say = (line: string) => process.stderr.write(`${line}\n`);
  return { ...rest, ...policyFileOptionsFrom(flags), gradientStepsPerRound: gradientSteps, onProgress: progressBars(), onLog: json ? undefined : say };
}

/** 'auto' or a positive temperature. */
function autoOrNumber(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : number(1e-6)(value);
}

/** "64x64,32x32,8,4" → [[64, 64], [32, 32], [8], [4]] */
function numberList(value: string): number[] {
  const values = value.split(',').map(Number);
  if (values.some((v) => !(v > 0 && v <= 16))) throw new InvalidArgumentError('expected numbers in (0, 16] separated by commas');
  return values;
}

export function registerDistill(program: Command): void {
  addDistillOptions(
    program
      .command('distill')
      .description('distill an ONNX teacher (or demonstrations) into a small student policy: student.onnx, dataset.qdb, card.json')
      .argument('[teacher.onnx]', 'the teacher: any ONNX Q-network (ours, PyTorch, SB3, tf2onnx), or a file that gives actions only (behaviour cloning)')
      .requiredOption('--student <sizes>', 'student hidden layer sizes, e.g. 16,16', integerList(65_536, 16))
      .option('--width <w>', 'MinAtar CNN students: conv filters = 16 × w', number(0.01, 16))
      .option('--from-demos <file>', 'behaviour cloning on recorded observation–action pairs (`qdistill record`) instead of a teacher')
      .option(
        '--observations <file>',
        "offline: distil on states recorded anywhere, with no environment played — a .npy shaped (N, ...observation shape), or an .npz whose array 'observations' (else 'obs', else its only array) is; any numeric dtype, read as float32. The teacher labels them, --held-out-share of them are kept out of training, and agreement, decisive-state agreement and Q regret on those are reported instead of a return (--env only names the teacher's environment; the stop rule, --eval-episodes, --final-episodes, --collect, --steps-per-round, --num-envs and --memory-size are not used)",
      )
      .option('--held-out-share <share>', 'with --observations: share of the states held out of training for the fidelity figures, drawn by --seed', number(0.001, 0.9), DEFAULT_HELD_OUT_SHARE),
  )
    .addHelpText('after', '\nExample:\n  qdistill distill models/cartpole-v1/teacher.onnx --student 16,16 --out runs/student\n  qdistill distill models/cartpole-v1/teacher.onnx --student 16,16 --dataset-format npz --out runs/student-npz\n  qdistill record models/cartpole-v1/teacher.onnx --episodes 4 --out runs/cartpole-states.npz\n  qdistill distill models/cartpole-v1/teacher.onnx --observations runs/cartpole-states.npz --student 16,16 --rounds 5 --out runs/offline\n  qdistill distill models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --student 8 --loss mse --out runs/s8\n  qdistill distill --teacher models/cartpole-v1/teacher.onnx --teacher models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --student 16,16 --out runs/ensemble\n  qdistill distill --teacher models/cartpole-v1/teacher.onnx --teacher models/acrobot-v1/teacher.onnx --student 64,64 --out runs/two-envs')
    .action(async (teacherPath: string | undefined, flags: DistillFlags) => {
      const { distillEnvironments, distillOffline, envFolder, heldOutLine, studentsTable } = await import('../distill/index.js');
      const { first, more } = teachersOf(teacherPath, flags);
      if (flags.observations) {
        if (more.length) throw new UsageError('offline distillation takes one teacher to label the observations');
        const offline = await distillOffline(first, { hidden: flags.student, width: flags.width ?? 1 }, options(flags));
        if (flags.json) return printJson(offline);
        return void process.stdout.write(`${studentsTable([offline])}\n${heldOutLine(offline)}\nsaved ${join(flags.out, 'student.onnx')}, dataset.${flags.datasetFormat} (the training states) and card.json\n`);
      }
      const { students, multiEnv } = await distillEnvironments(first, { hidden: flags.student, width: flags.width ?? 1 }, { ...options(flags), teachers: more });
      if (flags.json) return printJson(multiEnv ?? students[0]);
      process.stdout.write(studentsTable(students, { env: multiEnv !== null }) + '\n');
      if (!multiEnv) return void process.stdout.write(`saved ${join(flags.out, 'student.onnx')}, dataset.${flags.datasetFormat} and card.json\n`);
      process.stdout.write(`one ${multiEnv.student} student, ${multiEnv.totalParameters} parameters in all (${multiEnv.sharedParameters} shared): saved ${multiEnv.envs.map((e) => join(flags.out, envFolder(e), 'student.onnx')).join(', ')} and multi-env.md/json\n`);
    });

  addDistillOptions(
    program
      .command('sweep')
      .description('a family of students of one teacher, labels collected once: the reward-vs-size table')
      .argument('[teacher.onnx]', 'the teacher (or give --teacher, repeated for an ensemble)')
      .requiredOption('--sizes <list>', 'student hidden sizes, e.g. 64x64,32x32,16x16,8x8,4', sizeList)
      .option('--widths <list>', 'MinAtar CNN students: width multipliers, one per size or one for all', numberList),
  )
    .addHelpText('after', '\nExample:\n  qdistill sweep models/cartpole-v1/teacher.onnx --sizes 64x64,32x32,16x16,8x8,4 --out runs/sweep-cartpole\n  qdistill sweep models/minatar-breakout/teacher.onnx --sizes 128,64,32 --widths 1,0.5,0.25 --out runs/sweep-breakout')
    .action(async (teacherPath: string, flags: DistillFlags & { sizes: number[][]; widths?: number[] }) => {
      const widths = flags.widths ?? [1];
      if (widths.length !== 1 && widths.length !== flags.sizes.length) throw new InvalidArgumentError(`--widths needs 1 or ${flags.sizes.length} values`);
      const sizes: StudentSize[] = flags.sizes.map((hidden, i) => ({ hidden, width: widths[widths.length === 1 ? 0 : i] }));
      const { sizes: _s, widths: _w, ...rest } = flags;
      const { sweepToFolder, studentsTable } = await import('../distill/index.js');
      const { first, more } = teachersOf(teacherPath, flags);
      if (!first) throw new UsageError('give a teacher.onnx (or --teacher FILE)');
      const summaries = await sweepToFolder(first, sizes, { ...options(rest as DistillFlags), teachers: more });
      if (flags.json) return printJson(summaries);
      process.stdout.write(studentsTable(summaries) + `\nsaved ${join(flags.out, 'sweep.md')}, sweep.json and one folder per student\n`);
    });
}
