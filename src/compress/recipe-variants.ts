// The passes `qdistill compress` tries on each student, in order. Structured pruning comes first and feeds
// the quantizers, so a pruned student that still keeps the reward is quantized as well.
import { applyPass, type PassResult } from './apply.js';
import { dynamicQuantizationPass } from './quantize-dynamic.js';
import { weightQuantizationPass } from './quantize-weights.js';
import { applyStaticQuantization, type StaticQuantRequest } from './apply-static.js';

/** The static int8 settings that held ≥ 99% action agreement on our students (entropy ranges, per-channel weights). */
export const STATIC_INT8: StaticQuantRequest = { format: 'qdq', perChannel: true, keepInputLayer: true, settings: { method: 'entropy' } };
import { fp16Pass } from './fp16.js';
import { prunePass } from './prune.js';
import { finetuneAfterPrune, mlpLayers } from './finetune.js';
import { readModelFile } from '../onnx/model.js';

export interface Variant {
  name: string;
  /** The step as it is listed on the card, for this input. */
  describe(input: string): string;
  /** Also applied to the kept results of variants that feed others. */
  chain: boolean;
  feedsOthers: boolean;
  apply(input: string, out: string, env: string): Promise<PassResult>;
}

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
  describe: (input) => `prune --structured --sparsity ${sparsity}${isMlp(input) ? ' --finetune' : ''}`,
  chain: false,
  feedsOthers: true,
  apply: (input, out, env) => {
    const options = { sparsity, structured: true };
    return applyPass(prunePass, input, out, options, env, isMlp(input) ? finetuneAfterPrune(options, { env, rounds: 3, seed: 1 }) : undefined);
  },
});

export const RECIPE_VARIANTS: Variant[] = [
  prune(0.25),
  prune(0.5),
  {
    name: 'int8-dynamic',
    describe: () => 'quantize --mode dynamic',
    chain: true,
    feedsOthers: false,
    apply: (input, out, env) => applyPass(dynamicQuantizationPass, input, out, { perChannel: false, keepInputLayer: true }, env),
  },
  {
    name: 'int8-static',
    describe: () => 'quantize --mode static --format qdq --method entropy --per-channel',
    chain: true,
    feedsOthers: false,
    apply: (input, out, env) => applyStaticQuantization(input, out, STATIC_INT8, env),
  },
  {
    name: 'int8-weights',
    describe: () => 'quantize --weights-only --per-channel',
    chain: true,
    feedsOthers: false,
    apply: (input, out, env) => applyPass(weightQuantizationPass, input, out, { perChannel: true }, env),
  },
  {
    name: 'fp16',
    describe: () => 'fp16',
    chain: true,
    feedsOthers: false,
    apply: (input, out, env) => applyPass(fp16Pass, input, out, {}, env),
  },
];
