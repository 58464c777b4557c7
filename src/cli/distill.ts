import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { heldOutAgreement } from '../distill/agreement.js';
import { COLLECTORS, type CollectMode } from '../distill/collect.js';
import { fileHash, readDataset, writeDataset } from '../distill/dataset.js';
import { LOSSES, type LossName } from '../distill/losses.js';
import { DistillMemory } from '../distill/memory.js';
import { DEFAULT_DISTILL, distillStudent, type DistillConfig } from '../distill/student.js';
import { envSpec } from '../envs/registry.js';
import { Rng } from '../envs/rng.js';
import { openPolicy } from '../infer/open.js';
import type { Policy } from '../infer/policy.js';
import { tfjsToOnnx } from '../onnx/export-tfjs.js';
import { policyMetadata } from '../onnx/metadata.js';
import { writeModelFile } from '../onnx/model.js';
import { evaluatePolicy } from '../rl/evaluate.js';
import { BACKEND_NAMES, quietTfjs, type BackendName } from '../tfjs/backends.js';
import { chooseBackend } from '../tfjs/choose-backend.js';
import { greedyAction } from '../tfjs/greedy.js';
import { buildQNetwork } from '../tfjs/networks.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import { TOOL_VERSION } from '../version.js';
import { checkEnvId, commandLine } from './common.js';
import { DEFAULT_EVAL_SEED } from './eval.js';
import { integer, integerList, number, oneOf } from './options.js';
import { formatTable, printJson, startProgress } from './output.js';

export interface DistillFlags {
  env?: string;
  student: number[];
  width?: number;
  out: string;
  loss: LossName;
  temperature: number;
  lambda: number;
  collect: CollectMode;
  memorySize: number;
  rounds: number;
  stepsPerRound: number;
  gradientSteps: number;
  batchSize: number;
  learningRate: number;
  evalEpisodes: number;
  finalEpisodes: number;
  seed: number;
  backend: BackendName;
  fromDemos?: string;
  dataset?: string;
  json?: boolean;
}

export interface StudentSummary {
  out: string;
  env: string;
  student: string;
  parameters: number;
  teacherParameters: number | null;
  loss: LossName;
  collect: CollectMode | 'dataset' | 'demonstrations';
  reward: { mean: number; std: number; episodes: number };
  teacherReward: { mean: number; std: number; episodes: number } | null;
  agreement: number | null;
  rounds: number;
  stoppedEarly: boolean;
  wallSeconds: number;
  backend: string;
}

export function registerDistill(program: Command): void {
  program
    .command('distill')
    .description('distill an ONNX teacher (or demonstrations) into a small student policy')
    .argument('[teacher.onnx]', 'the teacher: any ONNX Q-network (ours, PyTorch, SB3, tf2onnx)')
    .option('--env <id>', 'environment (default: the teacher\'s qdistill.env metadata)')
    .requiredOption('--student <sizes>', 'student hidden layer sizes, e.g. 16,16', integerList)
    .option('--width <w>', 'MinAtar CNN students: conv filters = 16 × w', number(0.01, 16))
    .requiredOption('--out <dir>', 'output folder: student.onnx, dataset.qdb, card.json')
    .addOption(new Option('--loss <name>', 'distillation loss').argParser(oneOf(LOSSES)).default(DEFAULT_DISTILL.loss))
    .option('--temperature <t>', 'teacher temperature τ for kl', number(1e-6), DEFAULT_DISTILL.temperature)
    .option('--lambda <l>', 'weight of the KL term in dqn+kl', number(0), DEFAULT_DISTILL.lambda)
    .addOption(new Option('--collect <who>', 'who acts while states are collected').argParser(oneOf(COLLECTORS)).default(DEFAULT_DISTILL.collect))
    .option('--memory-size <n>', 'replay memory capacity (states)', integer(1), DEFAULT_DISTILL.memorySize)
    .option('--rounds <n>', 'collect/train rounds at most', integer(1), DEFAULT_DISTILL.rounds)
    .option('--steps-per-round <n>', 'environment steps collected per round', integer(1), DEFAULT_DISTILL.stepsPerRound)
    .option('--gradient-steps <n>', 'gradient steps per round', integer(1), DEFAULT_DISTILL.gradientStepsPerRound)
    .option('--batch-size <n>', 'minibatch size', integer(1), DEFAULT_DISTILL.batchSize)
    .option('--learning-rate <lr>', 'Adam learning rate', number(1e-8), DEFAULT_DISTILL.learningRate)
    .option('--eval-episodes <n>', 'greedy episodes after each round (early stopping)', integer(1), DEFAULT_DISTILL.evalEpisodes)
    .option('--final-episodes <n>', 'greedy episodes of the final evaluation', integer(1), 100)
    .option('--seed <n>', 'random seed (same seed → same student)', integer(0, 2 ** 32 - 1), DEFAULT_DISTILL.seed)
    .addOption(new Option('--backend <name>', 'tfjs backend for the student').argParser(oneOf(BACKEND_NAMES)).default('auto'))
    .option('--from-demos <file>', 'behaviour cloning on recorded observation–action pairs (`qdistill record`) instead of a teacher')
    .option('--dataset <file>', 'reuse the labelled states of an earlier run (its dataset.qdb) instead of collecting')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  qdistill distill models/cartpole-v1/teacher.onnx --student 16,16 --out runs/student\n  qdistill distill models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --student 8 --loss mse --out runs/s8')
    .action(async (teacherPath: string | undefined, flags: DistillFlags) => {
      const summary = await runDistill(teacherPath, flags);
      if (flags.json) return printJson(summary);
      process.stdout.write(formatTable(...summaryTable([summary])) + `\nsaved ${join(flags.out, 'student.onnx')}, dataset.qdb and card.json\n`);
    });
}

export function summaryTable(rows: StudentSummary[]): [string[], (string | number)[][]] {
  return [
    ['student', 'params', 'of teacher', 'loss', 'collect', 'return (mean ± std)', 'teacher return', 'agreement', 'rounds', 'wall time'],
    rows.map((s) => [
      s.student,
      s.parameters,
      s.teacherParameters ? `1/${(s.teacherParameters / s.parameters).toFixed(1)}` : '-',
      s.loss,
      s.collect,
      `${s.reward.mean.toFixed(1)} ± ${s.reward.std.toFixed(1)} (${s.reward.episodes} ep)`,
      s.teacherReward ? `${s.teacherReward.mean.toFixed(1)} ± ${s.teacherReward.std.toFixed(1)}` : '-',
      s.agreement === null ? '-' : `${(100 * s.agreement).toFixed(1)}%`,
      `${s.rounds}${s.stoppedEarly ? ' (early)' : ''}`,
      `${s.wallSeconds.toFixed(1)} s`,
    ]),
  ];
}

/** The teacher's evaluation return: from its card when it has one (same seeds as ours), else measured. */
async function teacherReward(teacher: Policy, episodes: number): Promise<{ mean: number; std: number; episodes: number }> {
  const card = teacher.info.card as { evalReward?: { mean: number; std: number; episodes: number; seed: number } } | null;
  if (card?.evalReward && card.evalReward.seed === DEFAULT_EVAL_SEED && card.evalReward.episodes >= episodes) return card.evalReward;
  const progress = startProgress('teacher eval', episodes);
  const r = await evaluatePolicy(teacher.spec.id, (o) => teacher.act(o), { episodes, seed: DEFAULT_EVAL_SEED, onEpisode: (d) => progress.update(d) });
  progress.stop();
  return { mean: r.mean, std: r.std, episodes };
}

export async function runDistill(teacherPath: string | undefined, flags: DistillFlags): Promise<StudentSummary> {
  if (!teacherPath && !flags.fromDemos) throw new UsageError('give a teacher.onnx, or --from-demos FILE');
  if (flags.fromDemos && flags.dataset) throw new UsageError('--from-demos and --dataset are alternatives; give one');
  const datasetFile = flags.fromDemos ?? flags.dataset;
  const dataset = datasetFile ? readDataset(datasetFile) : undefined;
  if (flags.fromDemos && dataset!.header.targets !== 'none') throw new UsageError('--from-demos expects a file written by `qdistill record`', flags.fromDemos);
  const teacher = teacherPath ? await openPolicy(teacherPath, { env: flags.env ?? dataset?.header.env }) : undefined;
  const envId = checkEnvId(teacher?.spec.id ?? flags.env ?? dataset!.header.env);
  const spec = envSpec(envId);
  if (dataset && (dataset.header.env !== envId || dataset.header.observationShape.join() !== spec.observationShape.join())) {
    throw new UsageError(`the dataset holds ${dataset.header.env} states [${dataset.header.observationShape}], not ${envId} [${spec.observationShape}]`, datasetFile);
  }
  const isCnn = spec.observationShape.length === 3;
  const config: DistillConfig = {
    ...DEFAULT_DISTILL,
    hidden: flags.student,
    convFilters: isCnn ? Math.max(1, Math.round(16 * (flags.width ?? 1))) : 0,
    loss: flags.fromDemos ? 'nll' : flags.loss,
    temperature: flags.temperature,
    lambda: flags.lambda,
    collect: flags.collect,
    memorySize: flags.memorySize,
    rounds: flags.rounds,
    stepsPerRound: flags.stepsPerRound,
    gradientStepsPerRound: flags.gradientSteps,
    batchSize: flags.batchSize,
    learningRate: flags.learningRate,
    evalEpisodes: flags.evalEpisodes,
    seed: flags.seed,
  };
  const log = (line: string) => flags.json || process.stderr.write(line + '\n');
  const goal = teacher ? await teacherReward(teacher, flags.finalEpisodes) : null;

  quietTfjs();
  const probeRng = new Rng(config.seed);
  const probeObs = Float32Array.from({ length: config.batchSize * spec.observationShape.reduce((a, b) => a * b, 1) }, () => probeRng.normal());
  const choice = await chooseBackend(flags.backend, {
    build: () => buildQNetwork(spec, { hidden: config.hidden, dueling: false, convFilters: config.convFilters || undefined }, config.seed),
    loss: (model) => tf.tidy(() => tf.mean(tf.square(model.apply(tf.tensor(probeObs, [config.batchSize, ...spec.observationShape])) as tf.Tensor)) as tf.Scalar),
  });
  log(`backend: ${choice.backend} (${choice.reason})`);
  log(`distilling ${teacherPath ?? flags.fromDemos} into a ${config.convFilters ? `conv${config.convFilters}-` : ''}${config.hidden.join('-')} student on ${envId} (${config.loss}, ${dataset ? 'fixed dataset' : `${config.collect} collects`})`);

  const progress = startProgress('distill', config.rounds, 'loss {loss} agreement {agreement} return {ret}');
  const result = await distillStudent({
    envId,
    teacher: dataset ? undefined : teacher,
    goal: goal ?? { mean: Infinity, std: 0 },
    config,
    dataset: dataset ? DistillMemory.fromDataset(dataset) : undefined,
    onRound: (r) => progress.update(r.round, { loss: r.loss.toPrecision(3), agreement: `${(100 * r.agreement).toFixed(1)}%`, ret: r.evalMean.toFixed(1) }),
  });
  progress.stop();

  const finalProgress = startProgress('student eval', flags.finalEpisodes);
  const reward = await evaluatePolicy(envId, (o) => greedyAction(result.student, o, spec.observationShape), {
    episodes: flags.finalEpisodes,
    seed: DEFAULT_EVAL_SEED,
    onEpisode: (d) => finalProgress.update(d),
  });
  finalProgress.stop();
  const agreement = teacher ? await heldOutAgreement(teacher, result.student, 2000, 424242) : null;
  const teacherParameters = (teacher?.info.card as { parameters?: number } | null)?.parameters ?? null;
  const outputName = config.loss === 'kl' || config.loss === 'nll' ? 'logits' : 'q_values';
  const teacherHash = teacherPath ? fileHash(teacherPath) : dataset!.header.teacherHash;
  const card = {
    kind: 'student',
    env: envId,
    teacher: teacherPath ? { file: teacherPath, hash: teacherHash, reward: goal } : null,
    demonstrations: flags.fromDemos ?? null,
    hidden: config.hidden,
    convFilters: config.convFilters,
    parameters: result.student.countParams(),
    config,
    evalReward: { mean: reward.mean, std: reward.std, episodes: reward.episodes, seed: reward.seed },
    agreement,
    rounds: result.rounds,
    stoppedEarly: result.stoppedEarly,
    wallTimeSeconds: Number(result.wallSeconds.toFixed(2)),
    backend: choice.backend,
    toolVersion: TOOL_VERSION,
    command: commandLine(),
    machine: `${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
    createdAt: new Date().toISOString(),
  };
  writeModelFile(join(flags.out, 'student.onnx'), tfjsToOnnx(result.student, spec, { outputName, producerVersion: TOOL_VERSION, metadata: policyMetadata(spec, card, { output: outputName }) }));
  writeDataset(
    join(flags.out, 'dataset.qdb'),
    result.memory.toDataset({
      env: envId,
      observationShape: spec.observationShape,
      actionCount: spec.actionCount,
      teacherHash,
      targets: dataset?.header.targets ?? teacher!.info.output,
      source: dataset?.header.source ?? config.collect,
    }),
  );
  writeJsonAtomic(join(flags.out, 'card.json'), card);
  await teacher?.dispose();
  return {
    out: flags.out,
    env: envId,
    student: `${config.convFilters ? `conv${config.convFilters}-` : ''}${config.hidden.join('-')}`,
    parameters: card.parameters,
    teacherParameters,
    loss: config.loss,
    collect: flags.fromDemos ? 'demonstrations' : dataset ? 'dataset' : config.collect,
    reward: card.evalReward,
    teacherReward: goal,
    agreement,
    rounds: result.rounds.length,
    stoppedEarly: result.stoppedEarly,
    wallSeconds: result.wallSeconds,
    backend: choice.backend,
  };
}
