// Exploration schedule with Stable-Baselines3's meaning: ε falls linearly from `initial` to `final` over
// the first `fraction` of training, then stays at `final`.
export interface EpsilonSchedule {
  initial: number;
  final: number;
  /** Fraction of total steps over which ε decays. */
  fraction: number;
  totalSteps: number;
}

export function epsilonAt(step: number, s: EpsilonSchedule): number {
  const progress = s.fraction > 0 ? step / (s.fraction * s.totalSteps) : 1;
  if (progress >= 1) return s.final;
  return s.initial + (s.final - s.initial) * progress;
}
