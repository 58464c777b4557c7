// The qdistill.* metadata a policy file carries in its ONNX metadata_props (docs/architecture.md, "Policy
// file"): the one place that names the keys. Files from elsewhere have none of them, and that is fine.
import { recordedEnvOptions } from '../envs/registry.js';
import type { EnvSpec } from '../envs/types.js';

/** Every metadata key qdistill reads or writes. */
export const METADATA_KEYS = {
  /** The environment id the policy plays. */
  env: 'qdistill.env',
  /** 'q_values' or 'logits' (a student trained on actions). */
  output: 'qdistill.output',
  /** 'flat', 'hwc' or 'nchw': how the file takes observations. */
  layout: 'qdistill.layout',
  /** The model card (JSON): how the file was made. */
  card: 'qdistill.card',
  /** The compression passes applied so far (JSON array), newest last. */
  passes: 'qdistill.passes',
  /** How an env that is not built in was made (JSON; for a gym: env its kwargs and wrappers), so that it is made the same way again. */
  envOptions: 'qdistill.env_options',
} as const;

/** One applied compression pass, as recorded under qdistill.passes. */
export interface PassRecord {
  pass: string;
  options: unknown;
  changes?: number;
}

/** The metadata of a policy file qdistill writes for `spec`, with `card` serialized. */
export function policyMetadata(
  spec: EnvSpec,
  card: object,
  options: { output?: 'q_values' | 'logits'; layout?: 'native' | 'nchw' } = {},
): Record<string, string> {
  const layout = spec.observationLayout === 'hwc' && options.layout === 'nchw' ? 'nchw' : spec.observationLayout;
  const envOptions = spec.id ? recordedEnvOptions(spec.id) : null;
  return {
    // A spec with no environment (shapes from a graph, offline distillation) writes no env key.
    ...(spec.id ? { [METADATA_KEYS.env]: spec.id } : {}),
    ...(envOptions ? { [METADATA_KEYS.envOptions]: JSON.stringify(envOptions) } : {}),
    [METADATA_KEYS.output]: options.output ?? 'q_values',
    [METADATA_KEYS.layout]: layout,
    [METADATA_KEYS.card]: JSON.stringify(card),
  };
}

/** The passes recorded in a file's metadata (none when the key is missing or not a JSON array). */
export function passHistory(metadata: Record<string, string>): PassRecord[] {
  try {
    const parsed = JSON.parse(metadata[METADATA_KEYS.passes] ?? '[]');
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}
