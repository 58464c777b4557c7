// Policy distillation: a small student learns the teacher's outputs on states collected in rounds.
// Each round: collect (see collect.ts) → gradient steps on minibatches of the memory → a short greedy
// evaluation; it stops once the student's return reaches the teacher's mean minus one std, or after the last
// round. The teacher is any Policy (onnxruntime); the student is a tfjs network exported to ONNX afterwards.
import * as tf from '@tensorflow/tfjs';
import { makeEnv } from '../envs/registry.js';
import { deriveSeed, Rng } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import type { Policy } from '../infer/policy.js';
import { evaluatePolicy } from '../rollout/evaluate.js';
import { greedyAction } from '../tfjs/greedy.js';
import { buildQNetwork } from '../tfjs/networks.js';
import { UsageError } from '../util/errors.js';
import { teacherShareFor } from './collect.js';
import type { DistillConfig } from './config.js';
import { klLoss, mseLoss, nllLoss, tdLossOnTransitions } from './losses.js';
import { DistillMemory } from './memory.js';
import { collectSteps, type Collector } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';

export interface RoundReport {
  round: number;
  memory: number;
  loss: number;
  /** Share of memory states where the student's argmax equals the teacher's (on the last minibatches). */
  agreement: number;
  evalMean: number;
  evalStd: number;
  seconds: number;
}

export interface DistillResult {
  student: tf.LayersModel;
  memory: DistillMemory;
  rounds: RoundReport[];
  stoppedEarly: boolean;
  wallSeconds: number;
}

function checkFinite(targets: Float32Array): void {
  for (const v of targets) if (!Number.isFinite(v)) throw new UsageError('the teacher produced a NaN or infinite output; it cannot be distilled');
}

export interface DistillRun {
  envId: string;
  /** The teacher labels collected states; absent when learning from a fixed dataset. */
  teacher?: Policy;
  /** Stop once the student's evaluation return reaches mean − std. */
  goal: { mean: number; std: number };
  config: DistillConfig;
  /** A fixed dataset (reused labels or demonstrations) instead of collecting. */
  dataset?: DistillMemory;
  /** Start from this network instead of a fresh one (finetuning a pruned policy); it must match config.hidden. */
  student?: tf.LayersModel;
  onRound?: (r: RoundReport) => void;
}

export async function distillStudent(run: DistillRun): Promise<DistillResult> {
  const { teacher, config } = run;
  const initialMemory = run.dataset;
  if (!teacher && !initialMemory) throw new Error('distillStudent needs a teacher or a dataset');
  const demonstrations = initialMemory !== undefined && !initialMemory.labelled;
  const env = makeEnv(run.envId);
  const spec = env.spec;
  const actionCount = spec.actionCount;
  const rng = new Rng(config.seed);
  const student = run.student ?? buildQNetwork(spec, { hidden: config.hidden, dueling: false, convFilters: config.convFilters || undefined }, config.seed);
  const target = config.loss === 'dqn+kl' ? buildQNetwork(spec, { hidden: config.hidden, dueling: false, convFilters: config.convFilters || undefined }, config.seed) : null;
  const optimizer = tf.train.adam(config.learningRate);
  const memory = initialMemory ?? new DistillMemory(config.memorySize, observationSize(spec), actionCount);
  const collector: Collector | null = teacher ? { env, teacher, studentAct: (o) => greedyAction(student, o, spec.observationShape), rng, seed: deriveSeed(config.seed, 7), episodes: 0, observation: null } : null;
  const started = performance.now();
  const rounds: RoundReport[] = [];
  let stoppedEarly = false;

  for (let round = 0; round < config.rounds; round++) {
    const roundStart = performance.now();
    // 1. Collect and label (a fixed dataset is used as it is).
    if (collector) await collectSteps(collector, memory, config.stepsPerRound, teacherShareFor(config.collect, round, config.rounds));
    if (memory.size === 0) throw new UsageError('the dataset is empty: nothing to distill');
    // 2. Learn.
    let lossSum = 0;
    let agreeSum = 0;
    for (let g = 0; g < config.gradientStepsPerRound; g++) {
      const batch = memory.sample(config.batchSize, rng);
      if (!demonstrations) checkFinite(batch.targets);
      const n = batch.actions.length;
      const obs = tf.tensor(batch.observations, [n, ...spec.observationShape]);
      // Demonstrations have no teacher outputs: behaviour cloning on the recorded actions (NLL).
      const teacherQ = demonstrations ? tf.oneHot(tf.tensor1d(batch.actions, 'int32'), actionCount).toFloat() as tf.Tensor2D : tf.tensor2d(batch.targets, [n, actionCount]);
      const nextQ = target ? (target.predict(tf.tensor(batch.nextObservations, [n, ...spec.observationShape])) as tf.Tensor2D) : null;
      let out: Float32Array = new Float32Array(0);
      const value = optimizer.minimize(() => {
        const studentOut = student.apply(obs, { training: true }) as tf.Tensor2D;
        out = studentOut.dataSync() as Float32Array;
        switch (config.loss) {
          case 'kl':
            return klLoss(teacherQ, studentOut, config.temperature);
          case 'mse':
            return mseLoss(teacherQ, studentOut);
          case 'nll':
            return nllLoss(tf.argMax(teacherQ, 1) as tf.Tensor1D, studentOut);
          case 'dqn+kl': {
            const td = tdLossOnTransitions(studentOut, tf.tensor1d(batch.actions, 'int32'), tf.tensor1d(batch.rewards), tf.tensor1d(batch.terminals), nextQ!, config.gamma);
            return tf.add(td, tf.mul(config.lambda, klLoss(teacherQ, studentOut, config.temperature))) as tf.Scalar;
          }
        }
      }, true);
      lossSum += value!.dataSync()[0];
      agreeSum += actionAgreement(out, demonstrations ? (teacherQ.dataSync() as Float32Array) : batch.targets, actionCount);
      tf.dispose([obs, teacherQ, value!, ...(nextQ ? [nextQ] : [])]);
      if (target && (g + 1) % 250 === 0) target.setWeights(student.getWeights());
    }
    // 3. Evaluate and maybe stop.
    const evaluation = await evaluatePolicy(spec.id, (o) => greedyAction(student, o, spec.observationShape), {
      episodes: config.evalEpisodes,
      seed: deriveSeed(config.seed, 1000 + round),
    });
    const report: RoundReport = {
      round: round + 1,
      memory: memory.size,
      loss: lossSum / config.gradientStepsPerRound,
      agreement: agreeSum / config.gradientStepsPerRound,
      evalMean: evaluation.mean,
      evalStd: evaluation.std,
      seconds: (performance.now() - roundStart) / 1000,
    };
    rounds.push(report);
    run.onRound?.(report);
    if (evaluation.mean >= run.goal.mean - run.goal.std) {
      stoppedEarly = round + 1 < config.rounds;
      break;
    }
  }
  target?.dispose();
  optimizer.dispose();
  return { student, memory, rounds, stoppedEarly, wallSeconds: (performance.now() - started) / 1000 };
}
