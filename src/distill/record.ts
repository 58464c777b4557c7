// `record`: greedy episodes of any policy saved as demonstrations (observation, action, reward; no teacher
// outputs), the input of behaviour cloning (`distill --from-demos`).
import { makeEnv } from '../envs/registry.js';
import { deriveSeed } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { openPolicy } from '../infer/open.js';
import { fileHash, writeDataset } from '../policy/dataset.js';
import { playEpisode } from '../rollout/episode.js';
import { meanStd } from '../rollout/evaluate.js';
import { DEFAULT_RECORD_SEED } from '../rollout/seeds.js';
import { progressOf, type OnProgress } from '../util/progress.js';
import { DistillMemory } from './memory.js';

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
  /** The demonstrations file (.qdb). */
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
  const episodes = o.episodes ?? 10;
  const seed = o.seed ?? DEFAULT_RECORD_SEED;
  const policy = await openPolicy(policyFile, { env: o.env, output: o.output, allowFp16: o.allowFp16 });
  const env = makeEnv(policy.spec.id);
  const memory = new DistillMemory(episodes * env.spec.maxEpisodeSteps, observationSize(env.spec), env.spec.actionCount, false);
  const noTarget = new Float32Array(0);
  const returns: number[] = [];
  const update = progressOf(o.onProgress, 'record', episodes);
  try {
    for (let episode = 0; episode < episodes; episode++) {
      const { total } = await playEpisode(env, (observation) => policy.act(observation), deriveSeed(seed, episode), (observation, action, r) =>
        memory.add(observation, action, r.reward, r.observation, r.terminated, noTarget),
      );
      returns.push(total);
      update(episode + 1);
    }
  } finally {
    await policy.dispose();
  }
  const { spec } = env;
  writeDataset(o.out, memory.toDataset({ env: spec.id, observationShape: spec.observationShape, actionCount: spec.actionCount, teacherHash: fileHash(policyFile), targets: 'none', source: 'demonstrations' }));
  return { out: o.out, env: spec.id, episodes, transitions: memory.size, ...meanStd(returns) };
}
