// The uniformly random policy's return: the zero of "share of the teacher's gain".
import { Rng } from '../envs/rng.js';
import { evaluatePolicy } from './evaluate.js';
import { DEFAULT_EVAL_SEED } from './seeds.js';

/** Seed of the random policy's action stream, fixed so every report measures the same baseline. */
const RANDOM_ACTION_SEED = 12345;

/** Mean return of uniformly random actions over `episodes` episodes on the evaluation seeds. */
export async function randomPolicyReward(envId: string, episodes: number, actionCount: number): Promise<number> {
  const rng = new Rng(RANDOM_ACTION_SEED);
  return (await evaluatePolicy(envId, () => rng.int(actionCount), { episodes, seed: DEFAULT_EVAL_SEED })).mean;
}
