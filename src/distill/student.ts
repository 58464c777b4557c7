// Policy distillation: a small student learns the teacher's outputs on states collected in rounds.
// Each round: collect (see collect.ts) → gradient steps on minibatches of the memory → the student plays the
// stop rule's paired episodes; it stops once the student is not worse than the teacher by more than the
// rule's margin (stopping.ts), or after the last round. The teacher is any Policy (onnxruntime); the student
// is a tfjs network exported to ONNX afterwards.
import * as tf from '@tensorflow/tfjs';
import { envSpec, makeVectorEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize, type EnvSpec } from '../envs/types.js';
import type { Policy } from '../infer/policy.js';
import { evaluateLockstep } from '../rollout/lockstep.js';
import { DEFAULT_STOP_SEED } from '../rollout/seeds.js';
import { greedyActions } from '../tfjs/greedy.js';
import { buildQNetwork } from '../tfjs/networks.js';
import { concatArrays } from '../util/concat.js';
import { UsageError } from '../util/errors.js';
import type { NonInferiority } from '../util/confidence.js';
import { teacherShareFor } from './collect.js';
import type { DistillConfig } from './config.js';
import { klLoss, mseLoss, nllLoss, tdLossOnTransitions } from './losses.js';
import { DistillMemory } from './memory.js';
import { checkStop, type StopOutcome, type StopRule } from './stopping.js';
import { resolveTemperature, type ResolvedTemperature } from './temperature.js';
import { collectSteps, type Collector } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';
import { fidelity, qScale } from '../policy/fidelity.js';

export interface RoundReport {
  round: number;
  memory: number;
  loss: number;
  /** Share of this round's training states where the student's argmax equals the teacher's. */
  agreement: number;
  /** Agreement on this round's decisive training states (teacher's top-two gap ≥ DECISIVE_GAP × its Q scale); null without Q-values or decisive states. */
  decisiveAgreement: number | null;
  /** Mean Q regret of the student's actions on this round's training states, relative to the teacher's Q scale; null without Q-values. */
  relativeRegret: number | null;
  /** The student's mean return on the stop episodes. */
  evalMean: number;
  evalStd: number;
  /** The stop rule's verdict this round (null without a rule). */
  verdict: NonInferiority | null;
  seconds: number;
}

export interface DistillResult {
  student: tf.LayersModel;
  memory: DistillMemory;
  rounds: RoundReport[];
  /** Why it ended: the rule met, the budget spent, or no rule. */
  stop: StopOutcome;
  /** True when the rule was met before the last round. */
  stoppedEarly: boolean;
  /** The temperature kl and dqn+kl used (null for mse and nll). */
  temperature: ResolvedTemperature | null;
  wallSeconds: number;
}

function checkFinite(targets: Float32Array): void {
  for (const v of targets) if (!Number.isFinite(v)) throw new UsageError('the teacher produced a NaN or infinite output; it cannot be distilled');
}

export interface DistillRun {
  envId: string;
  /** The shapes, when `envId` names no environment (offline distillation from recorded states); then config.evalEpisodes must be 0. */
  spec?: EnvSpec;
  /** The teacher labels collected states; absent when learning from a fixed dataset. */
  teacher?: Policy;
  /** The paired stop rule (stopping.ts); null: spend the whole budget. */
  stop: StopRule | null;
  config: DistillConfig;
  /** A fixed dataset (reused labels or demonstrations) instead of collecting. */
  dataset?: DistillMemory;
  /** The labels are Q-values or logits (not one-hot actions): decisive agreement and regret are measured. Default: the teacher's output is not 'actions'. */
  qTargets?: boolean;
  /** Who plays the teacher's share of episode i (an ensemble's members in turn); default the teacher. */
  actorFor?: (episode: number) => Policy;
  /** Start from this network instead of a fresh one (finetuning a pruned policy); it must match config.hidden. */
  student?: tf.LayersModel;
  onRound?: (r: RoundReport) => void;
}

/** One environment's part of a distillation: its teacher (or dataset), its student network and its stop rule. */
export interface DistillTask extends Omit<DistillRun, 'config' | 'onRound' | 'student'> {
  /** The network that plays this environment (shares layers with the other tasks' networks in a multi-environment student). */
  student: tf.LayersModel;
  /** This task's temperature setting when it differs from the config's (an ensemble's labels take τ = 1). */
  temperature?: number | 'auto';
}

/** What one task of distillTasks ends with. */
export interface TaskResult {
  memory: DistillMemory;
  rounds: RoundReport[];
  stop: StopOutcome;
  temperature: ResolvedTemperature | null;
}

/** Distils one student: a distillTasks run with one task. */
export async function distillStudent(run: DistillRun): Promise<DistillResult> {
  const spec = run.spec ?? envSpec(run.envId);
  const network = { hidden: run.config.hidden, dueling: false, convFilters: run.config.convFilters || undefined };
  const student = run.student ?? buildQNetwork(spec, network, run.config.seed);
  // dqn+kl: the student is also a Q-function learning from TD targets of its periodically copied self.
  const target = run.config.loss === 'dqn+kl' ? buildQNetwork(spec, network, run.config.seed) : null;
  const { onRound, config, ...task } = run;
  const { tasks, stoppedEarly, wallSeconds } = await distillTasks([{ ...task, student }], config, onRound && ((reports) => onRound(reports[0])), target);
  target?.dispose();
  return { student, ...tasks[0], stoppedEarly, wallSeconds };
}

/**
 * The distillation loop for one or more environments at once. Each round, every task collects and labels
 * its states; each gradient step takes one minibatch per task and minimizes the mean of their losses (tasks
 * whose networks share layers train those layers on all of them); then every task plays its stop episodes.
 * The run stops once every task with a stop rule meets it, or after the last round.
 */
export async function distillTasks(
  tasks: DistillTask[],
  config: DistillConfig,
  onRound?: (reports: RoundReport[]) => void,
  target: tf.LayersModel | null = null,
): Promise<{ tasks: TaskResult[]; stoppedEarly: boolean; wallSeconds: number }> {
  const states = tasks.map((task, k) => openTask(task, config, k));
  try {
    return await runTasks(tasks, states, config, onRound, target);
  } finally {
    for (const t of states) t.close();
  }
}

async function runTasks(
  tasks: DistillTask[],
  states: ReturnType<typeof openTask>[],
  config: DistillConfig,
  onRound: ((reports: RoundReport[]) => void) | undefined,
  target: tf.LayersModel | null,
): Promise<{ tasks: TaskResult[]; stoppedEarly: boolean; wallSeconds: number }> {
  const optimizer = tf.train.adam(config.learningRate);
  const started = performance.now();
  let met = false;
  let roundsRun = 0;

  for (let round = 0; round < config.rounds && !met; round++) {
    const roundStart = performance.now();
    // 1. Collect and label (a fixed dataset is used as it is).
    for (const t of states) await t.collect(round);
    // 2. Learn: one minibatch per task per step.
    for (const t of states) t.startRound();
    for (let g = 0; g < config.gradientStepsPerRound; g++) {
      const batches = states.map((t) => t.batch(target));
      const value = optimizer.minimize(() => {
        const losses = states.map((t, k) => t.loss(batches[k]));
        return (losses.length === 1 ? losses[0] : tf.div(tf.addN(losses), losses.length)) as tf.Scalar;
      }, true);
      const loss = value!.dataSync()[0];
      states.forEach((t, k) => t.endStep(batches[k], loss));
      tf.dispose([value!]);
      if (target && (g + 1) % 250 === 0) target.setWeights(tasks[0].student.getWeights());
    }
    // 3. Play the stop episodes; stop once every rule is met.
    const reports: RoundReport[] = [];
    for (const t of states) reports.push(await t.finishRound(round, (performance.now() - roundStart) / 1000));
    onRound?.(reports);
    roundsRun = round + 1;
    const verdicts = reports.map((r) => r.verdict).filter((v) => v !== null);
    met = verdicts.length > 0 && verdicts.every((v) => v.notWorse);
  }
  optimizer.dispose();
  const results = states.map((t) => t.result(met, roundsRun));
  return { tasks: results, stoppedEarly: met && roundsRun < config.rounds, wallSeconds: (performance.now() - started) / 1000 };
}

interface Batch {
  observations: tf.Tensor;
  teacherQ: tf.Tensor2D;
  actions: Int32Array;
  rewards: Float32Array;
  terminals: Float32Array;
  nextQ: tf.Tensor2D | null;
  targets: Float32Array;
  /** The student's outputs on the batch, read inside the loss. */
  out: Float32Array;
}

/** One task's collector, memory, temperature and round figures, as the loop in distillTasks drives them. */
function openTask(task: DistillTask, config: DistillConfig, index: number) {
  const { teacher, student } = task;
  const initialMemory = task.dataset;
  if (!teacher && !initialMemory) throw new Error('distillTasks needs a teacher or a dataset for every task');
  const demonstrations = initialMemory !== undefined && !initialMemory.labelled;
  const qTargets = !demonstrations && (task.qTargets ?? (teacher !== undefined && teacher.info.output !== 'actions'));
  // An env only for collecting: a fixed dataset needs none (the stop episodes make their own).
  const env = teacher ? makeVectorEnv(task.envId, config.numEnvs ?? 1) : null;
  const spec = task.spec ?? env?.spec ?? envSpec(task.envId);
  const actionCount = spec.actionCount;
  // Task 0 draws from the run's seed as a one-environment run always has; the others from seeds derived from it.
  const taskSeed = index === 0 ? config.seed : deriveSeed(config.seed, 100 + index);
  const rng = new Rng(taskSeed);
  const memory = initialMemory ?? new DistillMemory(config.memorySize, observationSize(spec), actionCount);
  const collector: Collector | null = teacher
    ? { env: env!, teacher, studentActs: (o: Float32Array, count: number) => greedyActions(student, o, count, spec.observationShape), rng, seed: deriveSeed(taskSeed, 7), episodes: 0, actorFor: task.actorFor }
    : null;
  const studentBatch = (observations: Float32Array, count: number) => greedyActions(student, observations, count, spec.observationShape);
  const usesTemperature = config.loss === 'kl' || config.loss === 'dqn+kl';
  let temperature: ResolvedTemperature | null = null;
  let scale = NaN;
  const setting = task.temperature ?? config.temperature;
  let tau = typeof setting === 'number' ? setting : 1;
  const rounds: RoundReport[] = [];
  let lossSum = 0;
  let seenOutputs: Float32Array[] = [];
  let seenTargets: Float32Array[] = [];

  return {
    /** Ends the collection env (a Gymnasium env's Python process). */
    close() {
      env?.close();
    },
    async collect(round: number) {
      if (collector) await collectSteps(collector, memory, config.stepsPerRound, teacherShareFor(config.collect, round, config.rounds));
      if (memory.size === 0) throw new UsageError('the dataset is empty: nothing to distill');
      // The teacher's Q scale, on the first states it labelled: the unit of the temperature and of the figures.
      if (round === 0 && qTargets) {
        const firstLabels = memory.targets.subarray(0, memory.size * actionCount);
        scale = qScale(firstLabels, actionCount);
        if (usesTemperature) temperature = resolveTemperature(setting, config.relativeTemperature, firstLabels, actionCount);
        tau = temperature?.temperature ?? tau;
      }
    },
    startRound() {
      lossSum = 0;
      seenOutputs = [];
      seenTargets = [];
    },
    batch(target: tf.LayersModel | null): Batch {
      const b = memory.sample(config.batchSize, rng);
      if (!demonstrations) checkFinite(b.targets);
      const n = b.actions.length;
      // Demonstrations have no teacher outputs: behaviour cloning on the recorded actions (NLL).
      const teacherQ = demonstrations ? (tf.oneHot(tf.tensor1d(b.actions, 'int32'), actionCount).toFloat() as tf.Tensor2D) : tf.tensor2d(b.targets, [n, actionCount]);
      const nextQ = target ? (target.predict(tf.tensor(b.nextObservations, [n, ...spec.observationShape])) as tf.Tensor2D) : null;
      return { observations: tf.tensor(b.observations, [n, ...spec.observationShape]), teacherQ, actions: b.actions as Int32Array, rewards: b.rewards as Float32Array, terminals: b.terminals as Float32Array, nextQ, targets: b.targets, out: new Float32Array(0) };
    },
    loss(b: Batch): tf.Scalar {
      const studentOut = student.apply(b.observations, { training: true }) as tf.Tensor2D;
      b.out = studentOut.dataSync() as Float32Array;
      switch (config.loss) {
        case 'kl':
          return klLoss(b.teacherQ, studentOut, tau);
        case 'mse':
          return mseLoss(b.teacherQ, studentOut);
        case 'nll':
          return nllLoss(tf.argMax(b.teacherQ, 1) as tf.Tensor1D, studentOut);
        case 'dqn+kl': {
          const td = tdLossOnTransitions(studentOut, tf.tensor1d(b.actions, 'int32'), tf.tensor1d(b.rewards), tf.tensor1d(b.terminals), b.nextQ!, config.gamma);
          return tf.add(td, tf.mul(config.lambda, klLoss(b.teacherQ, studentOut, tau))) as tf.Scalar;
        }
      }
    },
    endStep(b: Batch, loss: number) {
      lossSum += loss;
      seenOutputs.push(b.out);
      seenTargets.push(demonstrations ? (b.teacherQ.dataSync() as Float32Array) : b.targets);
      tf.dispose([b.observations, b.teacherQ, ...(b.nextQ ? [b.nextQ] : [])]);
    },
    async finishRound(round: number, seconds: number): Promise<RoundReport> {
      const trained = concat(seenOutputs);
      const labels = concat(seenTargets);
      const figures = qTargets ? fidelity(trained, labels, actionCount, scale) : null;
      // No episodes (offline: no environment): the round is judged on its training figures only.
      const evaluation = config.evalEpisodes > 0 ? await evaluateLockstep(spec.id, studentBatch, { episodes: config.evalEpisodes, seed: task.stop?.seed ?? DEFAULT_STOP_SEED }) : { mean: NaN, std: NaN, returns: [] };
      const report: RoundReport = {
        round: round + 1,
        memory: memory.size,
        loss: lossSum / config.gradientStepsPerRound,
        agreement: figures?.agreement ?? actionAgreement(trained, labels, actionCount),
        decisiveAgreement: figures?.decisiveAgreement ?? null,
        relativeRegret: figures?.relativeRegret ?? null,
        evalMean: evaluation.mean,
        evalStd: evaluation.std,
        verdict: task.stop ? checkStop(task.stop, evaluation.returns) : null,
        seconds,
      };
      rounds.push(report);
      return report;
    },
    result(met: boolean, roundsRun: number): TaskResult {
      const last = rounds[rounds.length - 1]?.verdict ?? null;
      const reason = met ? 'not worse' : task.stop ? 'budget' : 'no rule';
      return { memory, rounds, stop: { reason, rounds: roundsRun, last }, temperature };
    },
  };
}

function concat(parts: Float32Array[]): Float32Array {
  return concatArrays(parts, (n) => new Float32Array(n));
}
