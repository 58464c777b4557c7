// Seeds every figure shares, apart from the code that plays, so that the CLI's flag defaults cost nothing to load.

/** Seed of evaluation episodes everywhere (train's final evaluation, eval, distill, sweep), so figures compare. */
export const DEFAULT_EVAL_SEED = 1_000_000;

/** Seed of recorded demonstrations: not the evaluation episodes, so behaviour cloning is judged on unseen ones. */
export const DEFAULT_RECORD_SEED = DEFAULT_EVAL_SEED + 1;

/** Seed of the distillation stop rule's paired episodes: not the evaluation episodes, so the reported return is not the one the run stopped on. */
export const DEFAULT_STOP_SEED = DEFAULT_EVAL_SEED + 2;
