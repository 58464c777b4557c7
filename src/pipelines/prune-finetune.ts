// `prune --finetune`: recover what pruning lost with a short distillation from the unpruned model — the
// distill stage itself (src/distill/student.ts), started from the pruned weights instead of fresh ones.
// The pruned policy is read into a tfjs network of its own (smaller) shape; that works for the MLPs the
// distill stage builds: Gemm → Relu → … → Gemm. Other graphs get a one-line refusal naming the node.
import * as tf from '@tensorflow/tfjs';
import { distillStudent, DEFAULT_DISTILL, playStopEpisodes, stopRule, type DistillConfig } from '../distill/index.js';
import { randomPolicyReward } from '../rollout/random-baseline.js';
import { DEFAULT_STOP_SEED } from '../rollout/seeds.js';
import { fileHash } from '../policy/dataset.js';
import { describePolicyFile } from '../policy/file.js';
import { openPolicy } from '../infer/open.js';
import { getFloatAttr, getIntAttr, metadataOf } from '../onnx/graph.js';
import { tfjsToOnnx } from '../onnx/export-tfjs.js';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.js';
import { tensorToFloat32 } from '../onnx/tensor.js';
import { activateBackend, quietTfjs } from '../tfjs/backends.js';
import { buildQNetwork } from '../tfjs/networks.js';
import { UsageError } from '../util/errors.js';
import { TOOL_VERSION } from '../util/version.js';
import { weightAsKN, runPass, prunePass, type PruneOptions } from '../compress/index.js';
import type { EnvSpec } from '../envs/types.js';
import { METADATA_KEYS, passHistory } from '../policy/metadata.js';

interface DenseLayer {
  kernel: Float32Array; // [K, N]
  bias: Float32Array;
  k: number;
  n: number;
}

/** The Gemm layers of an MLP policy (each but the last followed by Relu), or a UsageError naming what does not fit. */
export function mlpLayers(model: ModelProto, where: string): DenseLayer[] {
  const graph = model.graph!;
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const refuse = (what: string) => {
    throw new UsageError(`--finetune works on MLP policies (Gemm → Relu → … → Gemm, as distill writes them); ${what}`, where);
  };
  const layers: DenseLayer[] = [];
  graph.node.forEach((node, i) => {
    const expectGemm = i % 2 === 0;
    if (expectGemm && node.opType === 'Gemm') {
      const weight = initializers.get(node.input[1]);
      const bias = initializers.get(node.input[2] ?? '');
      if (!weight || !bias || getIntAttr(node, 'transA', 0) || getFloatAttr(node, 'alpha', 1) !== 1 || getFloatAttr(node, 'beta', 1) !== 1) refuse(`Gemm '${node.name ?? i}' has no constant weight and bias or uses transA/alpha/beta`);
      const { values, k, n } = weightAsKN(node, weight!);
      layers.push({ kernel: values, bias: tensorToFloat32(bias!), k, n });
    } else if (!expectGemm && node.opType === 'Relu') {
      // the activation between two Gemms
    } else {
      refuse(`node ${i} ('${node.name ?? ''}') is ${node.opType}${expectGemm ? ', where a Gemm was expected' : ', where a Relu was expected'}`);
    }
  });
  if (layers.length === 0 || graph.node.length % 2 === 0) refuse('the graph does not end with a Gemm');
  return layers;
}

/** A tfjs network with the policy's layer sizes and weights. */
export function networkFromLayers(spec: EnvSpec, layers: DenseLayer[]): tf.LayersModel {
  if (spec.observationShape.length !== 1 || layers[0].k !== spec.observationShape[0]) throw new UsageError(`--finetune needs a flat-observation MLP; ${spec.id} observations are [${spec.observationShape}]`);
  const network = buildQNetwork(spec, { hidden: layers.slice(0, -1).map((l) => l.n), dueling: false }, 1);
  network.setWeights(layers.flatMap((l) => [tf.tensor2d(l.kernel, [l.k, l.n]), tf.tensor1d(l.bias)]));
  return network;
}

/** How to fine-tune a pruned policy, and how to read the unpruned file it learns from. */
export interface FinetuneOptions {
  /** Environment id for files without qdistill.env metadata. */
  env?: string;
  /** The unpruned file's graph output holding the Q-values, for files with several outputs. */
  output?: string;
  /** The unpruned file may be float16 (the pruned model is its float32 widening). */
  allowFp16?: boolean;
  /** Distillation rounds at most. */
  rounds: number;
  /** Random seed of the distillation. */
  seed: number;
}

export interface FinetuneResult {
  model: ModelProto;
  rounds: number;
  /** The evaluation return after each round (short evaluations, on the distill stage's seeds). */
  roundReturns: number[];
  referenceReturn: number;
}

/** Finetunes the pruned model (bytes) by distilling from the reference (unpruned) file; returns the new model. */
export async function finetunePruned(pruned: Uint8Array, referenceFile: string, where: string, o: FinetuneOptions): Promise<FinetuneResult> {
  const model = decodeModel(pruned, where);
  const { spec } = describePolicyFile(model, where, o.env, { output: o.output });
  const layers = mlpLayers(model, where);
  quietTfjs();
  await activateBackend('wasm');
  const student = networkFromLayers(spec, layers);
  const reference = await openPolicy(referenceFile, { env: spec.id, output: o.output, allowFp16: o.allowFp16 });
  try {
    const config: DistillConfig = { ...DEFAULT_DISTILL, hidden: layers.slice(0, -1).map((l) => l.n), convFilters: 0, rounds: o.rounds, seed: o.seed, learningRate: 3e-4 };
    // The unpruned model is the teacher: stop once the finetuned one is not worse than it by the stop rule's margin.
    const referenceReturns = await playStopEpisodes(reference, config.evalEpisodes);
    const random = await randomPolicyReward(spec.id, config.evalEpisodes, spec.actionCount);
    const rule = stopRule(referenceReturns, random, { seed: DEFAULT_STOP_SEED, marginShare: config.stopMargin, confidence: config.stopConfidence, rounds: config.rounds });
    const result = await distillStudent({ envId: spec.id, teacher: reference, stop: rule, config, student });
    const previous = metadataOf(model);
    const passes = [...passHistory(previous), { pass: 'finetune', options: { rounds: result.rounds.length, from: fileHash(referenceFile).slice(0, 16) } }];
    const finetuned = tfjsToOnnx(result.student, spec, {
      outputName: 'logits',
      producerVersion: TOOL_VERSION,
      metadata: { ...previous, [METADATA_KEYS.output]: 'logits', [METADATA_KEYS.passes]: JSON.stringify(passes) },
    });
    student.dispose();
    return { model: decodeModel(encodeModel(finetuned), `${where} (finetuned)`), rounds: result.rounds.length, roundReturns: result.rounds.map((r) => r.evalMean), referenceReturn: referenceReturns.reduce((a, b) => a + b, 0) / referenceReturns.length };
  } finally {
    await reference.dispose();
  }
}

/** The applyPass hook of `prune --finetune`: finetune from the unpruned input; unstructured pruning is applied again after. */
export function finetuneAfterPrune(prune: PruneOptions, o: FinetuneOptions) {
  return async (pruned: ModelProto, input: string): Promise<ModelProto> => {
    const { model } = await finetunePruned(encodeModel(pruned), input, `${input} (pruned)`, o);
    return prune.structured ? model : runPass(prunePass, model, prune).model;
  };
}

