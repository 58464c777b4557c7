// prune(): the compress stage's magnitude pruning, fine-tuned by the distill stage when asked.
import { prunePolicy, type CheckedPassResult, type PassFileOptions, type PruneOptions } from '../compress/index.js';
import { finetuneAfterPrune } from './prune-finetune.js';

/** Options of prune(): the pass's, plus fine-tuning by distillation from the unpruned model. */
export interface PruneRequest extends PassFileOptions, PruneOptions {
  /** Recover the lost reward with a short distillation from the unpruned model (MLPs; others: UsageError); at most `rounds` (3), seeded by `seed` (1). */
  finetune?: boolean | { rounds?: number; seed?: number };
}

/** Magnitude pruning, optionally fine-tuned; unstructured pruning is applied again after fine-tuning. */
export function prune(input: string, request: PruneRequest): Promise<CheckedPassResult> {
  const { finetune, ...pass } = request;
  const tuning = typeof finetune === 'object' ? finetune : {};
  const after = finetune ? finetuneAfterPrune(pass, { env: pass.env, output: pass.output, allowFp16: pass.allowFp16, rounds: tuning.rounds ?? 3, seed: tuning.seed ?? 1 }) : undefined;
  return prunePolicy(input, { ...pass, after });
}
