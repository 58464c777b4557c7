// The passes `qdistill compress` tries on each student, in order. Structured pruning comes first and feeds
// the quantizers, so a pruned student that still keeps the reward is quantized as well.
import { readModelFile } from '../onnx/model.js';
import { applyPass, type PassResult, applyStaticQuantization, type StaticQuantRequest, fp16Pass, prunePass, dynamicQuantizationPass, weightQuantizationPass } from '../compress/index.js';
import { finetuneAfterPrune, mlpLayers } from './prune-finetune.js';

/** The static int8 settings that held ≥ 99% action agreement on our students (entropy ranges, per-channel weights). */
export const STATIC_INT8: StaticQuantRequest = { format: 'qdq', perChannel: true, keepInputLayer: true, settings: { method: 'entropy' } };

export interface Variant {
  name: string;
  /** Also applied to the kept results of variants that feed others. */
  chain: boolean;
  feedsOthers: boolean;
  /** Writes `out` from `input`; `step` is how the card lists what was done. */
  apply(input: string, out: string, env: string): Promise<{ result: PassResult; step: string }>;
}

/** A variant that is one pass with fixed options. */
const fixed = (name: string, step: string, run: (input: string, out: string, env: string) => Promise<PassResult>): Variant => ({
  name,
  chain: true,
  feedsOthers: false,
  apply: async (input, out, env) => ({ result: await run(input, out, env), step }),
});

function isMlp(file: string): boolean {
  try {
    mlpLayers(readModelFile(file), file);
    return true;
  } catch {
    return false;
  }
}

// Finetuned where the distill stage can read the pruned network back (MLPs), pruned only otherwise.
const prune = (sparsity: number): Variant => ({
  name: `pruned${Math.round(sparsity * 100)}`,
  chain: false,
  feedsOthers: true,
  apply: async (input, out, env) => {
    const options = { sparsity, structured: true };
    const finetune = isMlp(input);
    const result = await applyPass(prunePass, input, out, options, env, finetune ? finetuneAfterPrune(options, { env, rounds: 3, seed: 1 }) : undefined);
    return { result, step: `prune --structured --sparsity ${sparsity}${finetune ? ' --finetune' : ''}` };
  },
});

export const RECIPE_VARIANTS: Variant[] = [
  prune(0.25),
  prune(0.5),
  fixed('int8-dynamic', 'quantize --mode dynamic', (input, out, env) => applyPass(dynamicQuantizationPass, input, out, { perChannel: false, keepInputLayer: true }, env)),
  fixed('int8-static', 'quantize --mode static --format qdq --method entropy --per-channel', (input, out, env) => applyStaticQuantization(input, out, STATIC_INT8, env)),
  fixed('int8-weights', 'quantize --weights-only --per-channel', (input, out, env) => applyPass(weightQuantizationPass, input, out, { perChannel: true }, env)),
  fixed('fp16', 'fp16', (input, out, env) => applyPass(fp16Pass, input, out, {}, env)),
];
