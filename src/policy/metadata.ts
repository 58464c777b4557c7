// The qdistill.* metadata a policy file carries (see the design doc's policy-file contract).
import type { EnvSpec } from '../envs/types.js';

export function policyMetadata(
  spec: EnvSpec,
  card: object,
  options: { output?: 'q_values' | 'logits'; layout?: 'native' | 'nchw' } = {},
): Record<string, string> {
  const layout = spec.observationLayout === 'hwc' && options.layout === 'nchw' ? 'nchw' : spec.observationLayout;
  return {
    'qdistill.env': spec.id,
    'qdistill.output': options.output ?? 'q_values',
    'qdistill.layout': layout,
    'qdistill.card': JSON.stringify(card),
  };
}
