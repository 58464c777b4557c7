// The train stage: an env id in, a DQN teacher folder out (teacher.onnx, the tfjs model, card.json and a
// checkpoint). Hyperparameters start from the env's preset (RL Baselines3 Zoo's); a JSON file and then
// explicit values override it, under Stable-Baselines3's names.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkEnvId, envSpec } from '../envs/registry.js';
import { provenance, writeCard, type TeacherCard } from '../policy/card.js';
import { TEACHER_ONNX, writeTeacherOnnx } from '../policy/teacher-onnx.js';
import { evaluatePolicy } from '../rollout/evaluate.js';
import { quietTfjs } from '../tfjs/backends.js';
import { BackendUnavailableError } from '../tfjs/backends.js';
import { chooseBackend, type BackendChoice, type TrainingProbe } from '../tfjs/choose-backend.js';
import { greedyAction } from '../tfjs/greedy.js';
import { copyToCpu, saveLayersModel } from '../tfjs/model-io.js';
import { buildQNetwork, describeNetwork } from '../tfjs/networks.js';
import { UsageError } from '../util/errors.js';
import { readJsonFile } from '../util/json-file.js';
import { lockOutputFolder, writeOutputFolder } from '../util/output-folder.js';
import { progressOf, type OnLog, type OnProgress } from '../util/progress.js';
import { readCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { CHECKPOINT_FILE, networkConfig, trainDqn } from './dqn.js';
import { applyOverrides, presetFor, type DqnConfig } from './presets.js';
import { makeTrainingProbe } from './probe.js';
import { checkTrainPlan } from './preflight.js';
import { DEFAULT_EVAL_SEED } from '../rollout/seeds.js';
import { BACKEND_NAMES, type BackendName } from '../tfjs/backend-names.js';

/** Options of train(): the environment and the output folder; the rest defaults to the env's preset. */
export interface TrainOptions {
  /** Environment id, e.g. 'CartPole-v1' (see listEnvs()). */
  env: string;
  /** Folder for teacher.onnx, model.json + weights, card.json and the checkpoint. */
  outDir: string;
  /** Seed of the network's initialization, exploration and environments (default 1). */
  seed?: number;
  /** Total environment steps (default: the preset's). */
  steps?: number;
  /** tfjs backend; 'auto' (default) times the ones that start and takes the fastest. */
  backend?: BackendName;
  /** A JSON file of hyperparameters (snake_case as in the Zoo's dqn.yml, or camelCase), applied over the preset. */
  configFile?: string;
  /** Hyperparameters applied last, e.g. { learning_rate: 1e-3, net_arch: [64, 64], double_q: true }. */
  hyperparameters?: Record<string, unknown>;
  /** Continue from the checkpoint in outDir (loses at most one checkpoint interval). */
  resume?: boolean;
  /** Training steps and the final evaluation, with episodes, return100, steps/s, ε and loss as fields. */
  onProgress?: OnProgress;
  /** The chosen backend and what is trained. */
  onLog?: OnLog;
}

/** What train() wrote: the teacher file, its card and the final evaluation's returns. */
export interface TrainResult {
  /** The folder written (TrainOptions.outDir). */
  outDir: string;
  /** The teacher as an ONNX policy file. */
  teacherPath: string;
  /** The card written as card.json (also inside teacher.onnx). */
  card: TeacherCard;
  /** Returns of the final greedy evaluation episodes (on the shared evaluation seeds). */
  evalReturns: number[];
}

/** The preset for `env` with the file's and then the explicit hyperparameters applied. */
export function resolveTrainConfig(env: string, o: Pick<TrainOptions, 'configFile' | 'hyperparameters' | 'steps'>): DqnConfig {
  let config = presetFor(env);
  if (o.configFile) config = applyOverrides(config, readJsonFile(o.configFile), o.configFile);
  const explicit = { ...o.hyperparameters, ...(o.steps !== undefined ? { totalTimesteps: o.steps } : {}) };
  return applyOverrides(config, explicit, 'hyperparameters');
}

/**
 * The backend to train on. A resumed run trains on the backend its checkpoint was made on when the request is
 * 'auto' (auto picks by timing, which varies between processes, and backends differ in the last bits), and
 * says so when another one is requested.
 */
async function chooseTrainingBackend(requested: BackendName, probe: TrainingProbe, checkpoint: LoadedCheckpoint | undefined, log: OnLog): Promise<BackendChoice> {
  const trainedOn = checkpoint?.meta.backend;
  if (trainedOn && requested === 'auto' && (BACKEND_NAMES as readonly string[]).includes(trainedOn)) {
    try {
      const choice = await chooseBackend(trainedOn as BackendName, probe);
      if (choice.backend === trainedOn) return { ...choice, reason: 'resumed: the backend the checkpoint was trained on' };
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
    }
  }
  const choice = await chooseBackend(requested, probe);
  if (trainedOn && choice.backend !== trainedOn) {
    log(`note: the checkpoint was trained on ${trainedOn} and training continues on ${choice.backend}; backends round differently, so the result will not be identical to an uninterrupted run`);
  }
  return choice;
}

/** Removes the weights files of earlier saves that model.json no longer names. */
function removeOldWeights(dir: string, keep: ReadonlySet<string>): void {
  for (const name of readdirSync(dir)) {
    if (/^weights-[0-9a-f]{12}\.bin$/.test(name) && !keep.has(name)) rmSync(join(dir, name), { force: true });
  }
}

/**
 * Trains a DQN teacher and writes its folder; see TrainOptions. The folder is locked for the whole run (a
 * second run into it is refused) and swept of what killed runs left; checkpoint.qdb is replaced atomically at
 * each interval, and the teacher's files (teacher.onnx, model.json and weights, card.json) are staged and moved
 * in together at the end (src/util/output-folder.ts).
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const env = checkEnvId(o.env);
  const seed = o.seed ?? 1;
  const config = resolveTrainConfig(env, o);
  checkTrainPlan(config, envSpec(env));
  if (o.resume && !existsSync(join(o.outDir, CHECKPOINT_FILE))) throw new UsageError('nothing to resume: no checkpoint in this folder', o.outDir);
  const log = o.onLog ?? (() => {});
  const lock = lockOutputFolder(o.outDir);
  try {
    return await trainLocked(o, env, seed, config, log);
  } finally {
    lock.release();
  }
}

async function trainLocked(o: TrainOptions, env: string, seed: number, config: DqnConfig, log: OnLog): Promise<TrainResult> {
  const checkpoint = o.resume ? readCheckpoint(join(o.outDir, CHECKPOINT_FILE)) : undefined;
  quietTfjs();
  const choice = await chooseTrainingBackend(o.backend ?? 'auto', makeTrainingProbe(env, config, seed), checkpoint, log);
  log(`backend: ${choice.backend} (${choice.reason})`);
  log(`training ${env}: ${describeNetwork(networkConfig(config))} network, ${config.totalTimesteps} steps, seed ${seed}`);

  const trainProgress = progressOf(o.onProgress, 'train', config.totalTimesteps);
  const result = await trainDqn({
    envId: env,
    config,
    seed,
    outDir: o.outDir,
    resume: Boolean(o.resume),
    checkpoint,
    backend: choice.backend,
    onProgress: (p) =>
      trainProgress(p.step, {
        ep: p.episodes,
        return100: p.meanReturn100 === null ? '-' : p.meanReturn100.toFixed(1),
        'steps/s': Math.round(p.stepsPerSecond),
        epsilon: Number(p.epsilon.toFixed(3)),
        loss: p.loss === null ? '-' : Number(p.loss.toPrecision(4)),
      }),
  });

  const spec = envSpec(env);
  // The exporter and the model writer read weights synchronously, which the webgpu backend cannot do in
  // Node: a network trained there is copied to the cpu backend first.
  const qNetwork = choice.backend === 'webgpu' ? await copyToCpu(result.qNetwork, () => buildQNetwork(spec, networkConfig(config), seed)) : result.qNetwork;
  const evaluation = await evaluatePolicy(env, (obs) => greedyAction(qNetwork, obs, spec.observationShape), {
    episodes: config.evalEpisodes,
    seed: DEFAULT_EVAL_SEED,
    onEpisode: progressOf(o.onProgress, 'eval', config.evalEpisodes),
  });

  const card: TeacherCard = {
    kind: 'teacher',
    algorithm: 'DQN',
    env,
    seed,
    config,
    network: describeNetwork(networkConfig(config)),
    parameters: result.qNetwork.countParams(),
    steps: result.steps,
    episodes: result.episodes,
    evalReward: { mean: evaluation.mean, std: evaluation.std, episodes: evaluation.episodes, seed: evaluation.seed },
    trainReturn100: result.recentReturns.length ? result.recentReturns.reduce((a, b) => a + b, 0) / result.recentReturns.length : null,
    wallTimeSeconds: Number(result.wallSeconds.toFixed(1)),
    stepsPerSecond: Number(result.stepsPerSecond.toFixed(1)),
    backend: choice.backend,
    backendReason: choice.reason,
    resumedFromStep: result.resumedFromStep,
    ...provenance(),
  };
  const teacherPath = join(o.outDir, TEACHER_ONNX);
  const written = await writeOutputFolder(o.outDir, async (staged) => {
    await saveLayersModel(qNetwork, staged.staging);
    writeTeacherOnnx(qNetwork, env, card, staged.path(TEACHER_ONNX));
    writeCard(staged.staging, card);
    return new Set(readdirSync(staged.staging));
  });
  removeOldWeights(o.outDir, written);
  return { outDir: o.outDir, teacherPath, card, evalReturns: evaluation.returns };
}
