// When distillation stops. After each round the student plays the same episodes (same seeds) the teacher
// played once at the start; the run stops when the student is not worse than the teacher by more than a
// margin — a share of the teacher's gain over a random policy — at a stated confidence, or when the budget
// is spent. Pairing by seed cancels each episode's luck, which is what lets 100 episodes decide where two
// unpaired 20-episode means with a std of 86 cannot.
import { pairedNonInferiority, type NonInferiority } from '../util/confidence.js';
import { meanStd } from '../rollout/evaluate.js';
import { evaluateLockstep } from '../rollout/lockstep.js';
import { DEFAULT_STOP_SEED } from '../rollout/seeds.js';
import { argmaxRows } from '../policy/agreement.js';
import type { Policy } from '../infer/policy.js';

/** Fewest paired episodes the rule judges on (the t bound needs a few degrees of freedom to mean anything). */
export const MIN_STOP_EPISODES = 10;

/** The stop rule of one run: the teacher's returns on the stop episodes, and the margin and confidence to judge by. */
export interface StopRule {
  /** Base seed of the stop episodes (episode i from deriveSeed(seed, i)). */
  seed: number;
  /** The teacher's return in each stop episode. */
  teacherReturns: number[];
  /** Absolute margin in return units. */
  margin: number;
  /** The margin as given: a share of the teacher's gain over random (or of its std when it gains nothing). */
  marginShare: number;
  /** Confidence of each round's check (Bonferroni share of the overall confidence). */
  confidencePerRound: number;
  /** Confidence over all rounds together. */
  confidence: number;
}

/** Why a run ended. */
export interface StopOutcome {
  /** 'not worse': the rule was met before or at the last round; 'budget': every round ran without meeting it; 'no rule': no teacher to compare with (demonstrations, or the rule switched off). */
  reason: 'not worse' | 'budget' | 'no rule';
  /** Rounds run. */
  rounds: number;
  /** The last round's verdict (null without a rule). */
  last: NonInferiority | null;
}

/**
 * The stop rule for a teacher whose stop-episode returns are `teacherReturns`: margin = marginShare × (the
 * teacher's mean − the random policy's mean), or × the teacher's std when it is no better than random.
 */
export function stopRule(teacherReturns: number[], randomReward: number, o: { seed: number; marginShare: number; confidence: number; rounds: number }): StopRule {
  const { mean, std } = meanStd(teacherReturns);
  const gain = mean - randomReward;
  return {
    seed: o.seed,
    teacherReturns,
    margin: o.marginShare * (gain > 0 ? gain : std),
    marginShare: o.marginShare,
    confidencePerRound: 1 - (1 - o.confidence) / o.rounds,
    confidence: o.confidence,
  };
}

/** This round's verdict on the student's returns in the stop episodes. */
export function checkStop(rule: StopRule, studentReturns: number[]): NonInferiority {
  return pairedNonInferiority(studentReturns, rule.teacherReturns, rule.margin, rule.confidencePerRound);
}

/** One line on why the run ended, for logs and reports. */
export function describeStop(stop: StopOutcome): string {
  const v = stop.last;
  const figures = v ? `student − teacher ${v.meanDifference.toFixed(1)}, lower bound ${v.lower.toFixed(1)} vs margin −${v.margin.toFixed(1)} over ${v.n} paired episodes` : '';
  if (stop.reason === 'not worse') return `stopped after round ${stop.rounds}: not worse than the teacher by more than the margin at ${(100 * v!.confidence).toFixed(2)}% per round (${figures})`;
  if (stop.reason === 'budget') return `ran all ${stop.rounds} rounds without showing it is within the margin (${figures})`;
  return `ran all ${stop.rounds} rounds (no stop rule)`;
}

/** A policy's greedy returns on the stop episodes (episode i from deriveSeed(seed, i)), all played at once with one batched call per step. */
export async function playStopEpisodes(policy: Policy, episodes: number, seed = DEFAULT_STOP_SEED): Promise<number[]> {
  const act = async (observations: Float32Array, count: number) => argmaxRows(await policy.qValues(observations, count), count);
  return (await evaluateLockstep(policy.spec.id, act, { episodes, seed })).returns;
}
