// What a policy file is and whether it fits an environment: read from the ONNX graph and its qdistill.*
// metadata, so files from PyTorch, Stable-Baselines3 or tf2onnx (no metadata, other tensor names) work
// when --env is given. Every mismatch is one line that says what the file has and what the env needs.
import { checkEnvId, makeEnv } from '../envs/registry.js';
import type { EnvSpec } from '../envs/types.js';

import { metadataOf, valueInfoDims } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/model.js';
import { DataType } from '../onnx/tensor.js';
import { UsageError } from '../util/errors.js';
import { METADATA_KEYS } from './metadata.js';

/** What a policy file holds, read from its graph and its qdistill.* metadata. */
export interface PolicyFileInfo {
  /** The environment named by qdistill.env metadata, or null for files from elsewhere. */
  env: string | null;
  /** What the output holds: Q-values, or logits of a student trained on actions. */
  output: 'q_values' | 'logits';
  /** How the file takes image observations: the env's own layout, or NCHW (transposed by the policy). */
  inputLayout: 'native' | 'nchw';
  /** Name of the graph's observation input. */
  inputName: string;
  /** Name of the output read: 'q_values' or 'logits' when present, else the first output. */
  outputName: string;
  /** qdistill.card parsed, or null. */
  card: Record<string, unknown> | null;
  /** All of the file's metadata_props, key → value. */
  metadata: Record<string, string>;
}

type Dim = number | string | null;

const show = (dims: Dim[]) => `[${dims.map((d) => (typeof d === 'number' ? d : d ?? '?')).join(', ')}]`;
const sameDims = (dims: Dim[], expected: number[]) =>
  dims.length === expected.length && dims.every((d, i) => typeof d !== 'number' || d === expected[i]);

/** The environment spec and PolicyFileInfo of a decoded policy; UsageError (one line) when it does not fit the env. */
export function describePolicyFile(model: ModelProto, where: string, envOverride?: string): { spec: EnvSpec; info: PolicyFileInfo } {
  const metadata = metadataOf(model);
  const envId = envOverride ?? metadata[METADATA_KEYS.env];
  if (!envId) throw new UsageError('the model has no qdistill.env metadata; pass --env <id>', where);
  const spec = makeEnv(checkEnvId(envId)).spec;
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1) {
    throw new UsageError(`a policy takes one observation tensor, but the model has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')})`, where);
  }
  const input = inputs[0];
  if (input.type?.tensorType?.elemType !== DataType.FLOAT) throw new UsageError(`input '${input.name}' must be float32`, where);
  const inputDims = valueInfoDims(input);
  let inputLayout: PolicyFileInfo['inputLayout'] = metadata[METADATA_KEYS.layout] === 'nchw' ? 'nchw' : 'native';
  if (inputDims) {
    const perObservation = inputDims.slice(1);
    const [h, w, c] = spec.observationShape;
    const nchw = spec.observationShape.length === 3 ? [c, h, w] : null;
    if (sameDims(perObservation, spec.observationShape) && inputLayout === 'native') inputLayout = 'native';
    else if (nchw && sameDims(perObservation, nchw)) inputLayout = 'nchw';
    else {
      throw new UsageError(
        `input '${input.name}' has shape ${show(inputDims)}, but ${spec.id} observations are [batch, ${spec.observationShape.join(', ')}]` +
          (nchw ? ` (or [batch, ${nchw.join(', ')}] as NCHW)` : ''),
        where,
      );
    }
  }
  const outputs = graph.output ?? [];
  const output = outputs.find((v) => v.name === 'q_values' || v.name === 'logits') ?? outputs[0];
  if (!output) throw new UsageError('the model has no output', where);
  const outputDims = valueInfoDims(output);
  if (outputDims && !(outputDims.length === 2 && (typeof outputDims[1] !== 'number' || outputDims[1] === spec.actionCount))) {
    throw new UsageError(`output '${output.name}' has shape ${show(outputDims)}, but ${spec.id} has ${spec.actionCount} actions: expected [batch, ${spec.actionCount}]`, where);
  }
  let card: Record<string, unknown> | null = null;
  try {
    card = metadata[METADATA_KEYS.card] ? JSON.parse(metadata[METADATA_KEYS.card]) : null;
  } catch {
    card = null;
  }
  return {
    spec,
    info: {
      env: metadata[METADATA_KEYS.env] ?? null,
      output: metadata[METADATA_KEYS.output] === 'logits' || output.name === 'logits' ? 'logits' : 'q_values',
      inputLayout,
      inputName: input.name,
      outputName: output.name,
      card,
      metadata,
    },
  };
}
