// `record`: greedy episodes of any policy saved as demonstrations (observation, action, reward; no teacher
// outputs), the input of behaviour cloning (`distill --from-demos`). An `out` ending in .npz is written as
// numpy's zip of arrays, with each step's truncation flag and episode index besides, for Python readers.
import { makeEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { openPolicy } from '../infer/open.js';
import { fileHash, writeDataset } from '../policy/dataset.js';
import { playEpisode } from '../rollout/episode.js';
import { meanStd } from '../rollout/evaluate.js';
import { DEFAULT_RECORD_SEED } from '../rollout/seeds.js';
import { prepareOutputFile } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import { progressOf, type OnProgress } from '../util/progress.js';
import { DistillMemory } from './memory.js';
import { memoryNeed } from './preflight.js';
import { checkMemoryNeeds } from '../util/memory-budget.js';

/** Options of recordDemonstrations(): where to write, how many episodes, from which seed. */
export interface RecordOptions {
  /** Environment id for files without qdistill.env metadata. */
  env?: string;
  /** The graph output holding the Q-values (or actions), for files with several outputs. */
  output?: string;
  /** Accept a file with a float16 input and output (run with float32 casts at its boundary). */
  allowFp16?: boolean;
  /** Episodes to record (default 10). */
  episodes?: number;
  /** Episode i starts from deriveSeed(seed, i); the default differs from the evaluation seed. */
  seed?: number;
  /** The demonstrations file: a .qdb, or — a name ending in .npz — numpy's .npz (see writeDataset). */
  out: string;
  /** One update per recorded episode. */
  onProgress?: OnProgress;
}

/** What recordDemonstrations() wrote, with the recorded episodes' return. */
export interface RecordResult {
  /** The demonstrations file written. */
  out: string;
  /** Environment id the episodes were played in. */
  env: string;
  /** Episodes recorded. */
  episodes: number;
  /** Transitions (steps) stored, over all episodes. */
  transitions: number;
  /** Mean return of the recorded episodes. */
  mean: number;
  /** Population standard deviation of their returns. */
  std: number;
}

/** Records greedy episodes of the policy in `policyFile` into a demonstrations file. */
export async function recordDemonstrations(policyFile: string, o: RecordOptions): Promise<RecordResult> {
  prepareOutputFile(o.out, 'demonstrations file');
  if (o.out.toLowerCase().endsWith('.npy')) throw new UsageError('demonstrations are several arrays: write an .npz (numpy.load reads it) or a .qdb', o.out);
  const episodes = o.episodes ?? 10;
  const seed = o.seed ?? DEFAULT_RECORD_SEED;
  const policy = await openPolicy(policyFile, { env: o.env, output: o.output, allowFp16: o.allowFp16 });
  const env = makeEnv(policy.spec.id);
  if (!Number.isFinite(env.spec.maxEpisodeSteps)) {
    env.close?.();
    await policy.dispose();
    throw new UsageError(`${env.spec.id} has no time limit, so a recording has no size bound: give it one (--env-kwargs '{"max_episode_steps": 1000}')`);
  }
  try {
    // Room for every step of every episode, and the .npz's per-step flags.
    const need = memoryNeed(episodes * env.spec.maxEpisodeSteps, env.spec, `--episodes ${episodes} × ${env.spec.maxEpisodeSteps} steps`, false);
    checkMemoryNeeds([{ ...need, bytes: need.bytes + episodes * env.spec.maxEpisodeSteps * 5 }], env.spec.id);
  } catch (error) {
    env.close?.();
    await policy.dispose();
    throw error;
  }
  const memory = new DistillMemory(episodes * env.spec.maxEpisodeSteps, observationSize(env.spec), env.spec.actionCount, false);
  const noTarget = new Float32Array(0);
  // Which episode each step is of, and where an episode was cut by the time limit: only the .npz holds them.
  const truncated = new Uint8Array(memory.capacity);
  const episodeOf = new Int32Array(memory.capacity);
  const returns: number[] = [];
  const update = progressOf(o.onProgress, 'record', episodes);
  try {
    for (let episode = 0; episode < episodes; episode++) {
      const { total } = await playEpisode(env, (observation) => policy.act(observation), deriveSeed(seed, episode), (observation, action, r) => {
        truncated[memory.size] = r.truncated && !r.terminated ? 1 : 0;
        episodeOf[memory.size] = episode;
        memory.add(observation, action, r.reward, r.observation, r.terminated, noTarget);
      });
      returns.push(total);
      update(episode + 1);
    }
  } finally {
    env.close?.();
    await policy.dispose();
  }
  const { spec } = env;
  const dataset = memory.toDataset({ env: spec.id, observationShape: spec.observationShape, actionCount: spec.actionCount, teacherHash: fileHash(policyFile), targets: 'none', source: 'demonstrations' });
  writeDataset(o.out, dataset, { truncated: truncated.subarray(0, memory.size), episode: episodeOf.subarray(0, memory.size) });
  return { out: o.out, env: spec.id, episodes, transitions: memory.size, ...meanStd(returns) };
}
