// The passes `qdistill compress` tries on each student, in order. Structured pruning comes first and feeds
// the quantizers, so a pruned student that still keeps the reward is quantized as well. Each int8 mode is
// also tried with `--keep-float auto` (the mixed-precision search), which keeps float32 the layers whose
// int8 rounding would change the greedy action on more than 1% of the calibration states.
import { readModelFile } from '../onnx/model.js';
import {
  applyPass,
  type PassResult,
  applyStaticQuantization,
  type StaticQuantRequest,
  fp16Pass,
  prunePass,
  dynamicQuantizationPass,
  weightQuantizationPass,
  quantizeFile,
  type Int8Request,
} from '../compress/index.js';
import { finetuneAfterPrune, mlpLayers } from './prune-finetune.js';

/** The static int8 settings that held ≥ 99% action agreement on our students (entropy ranges, per-channel weights). */
export const STATIC_INT8: StaticQuantRequest = { format: 'qdq', perChannel: true, keepInputLayer: true, settings: { method: 'entropy' } };

/** One thing the recipe tries on a student (or on a pruned student, when `chain`). */
export interface Variant {
  /** Its name in candidate names and file names, e.g. 'int8-dynamic'. */
  name: string;
  /** Also applied to the kept results of variants that feed others. */
  chain: boolean;
  /** Its results that keep the reward are parents of the `chain` variants. */
  feedsOthers: boolean;
  /**
   * Writes `out` from `input`; `step` is how the card lists what was done. `skip` (one line) when the result is
   * not a candidate: the layer search quantized nothing, so the file is its input again.
   */
  apply(input: string, out: string, env: string): Promise<{ result: PassResult; step: string; skip?: string }>;
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

/** int8 in `mode` with the layer search: the card's step says which layers stayed float32. */
const searched = (name: string, flags: string, request: Omit<Int8Request, 'perChannel' | 'keepFloat'>): Variant => ({
  name,
  chain: true,
  feedsOthers: false,
  apply: async (input, out, env) => {
    const result = await quantizeFile(input, out, { ...request, perChannel: false, keepFloat: 'auto' }, env);
    const search = result.search!;
    const what = search.quantized.length === 0 ? 'nothing quantized' : search.keptFloat.length ? `kept float32: ${search.keptFloat.join(', ')}` : 'every layer int8';
    return { result, step: `quantize ${flags} --keep-float auto (${what})`, ...(search.warning ? { skip: search.warning } : {}) };
  },
});

/** Every variant the recipe tries, in order. */
export const RECIPE_VARIANTS: Variant[] = [
  prune(0.25),
  prune(0.5),
  fixed('int8-dynamic', 'quantize --mode dynamic', (input, out, env) => applyPass(dynamicQuantizationPass, input, out, { perChannel: false, keepInputLayer: true }, env)),
  searched('int8-dynamic-auto', '--mode dynamic', { mode: 'dynamic', keepInputLayer: true }),
  fixed('int8-static', 'quantize --mode static --format qdq --method entropy --per-channel', (input, out, env) => applyStaticQuantization(input, out, STATIC_INT8, env)),
  searched('int8-static-auto', '--mode static --format qdq --method entropy', { mode: 'static', format: 'qdq', settings: { method: 'entropy' }, keepInputLayer: true }),
  fixed('int8-weights', 'quantize --weights-only --per-channel', (input, out, env) => applyPass(weightQuantizationPass, input, out, { perChannel: true }, env)),
  searched('int8-weights-auto', '--weights-only', { mode: 'weights-only', keepInputLayer: false }),
  fixed('fp16', 'fp16', (input, out, env) => applyPass(fp16Pass, input, out, {}, env)),
];
