// A policy's Q-values on many states as it computes them when it acts on one observation at a time. Most
// graphs give the same values in one batch, but DynamicQuantizeLinear (dynamic int8) measures one range over
// the whole input tensor, so a batch of 1000 states would share a range that no single call sees; such files
// are run one state per call.
import type { Policy } from '../infer/policy.js';
import { observationSize } from '../envs/types.js';
import type { ModelProto } from '../onnx/model.js';

/** Ops whose result for one observation depends on the other observations of its batch. */
const BATCH_COUPLED = new Set(['DynamicQuantizeLinear']);

/** True when `model` holds an op that couples the observations of a batch. */
export function couplesBatch(model: ModelProto): boolean {
  return model.graph!.node.some((n) => BATCH_COUPLED.has(n.opType ?? ''));
}

/** Q-values of `count` observations (env layout), one call per state when the model couples its batch. */
export async function deployedQValues(policy: Policy, model: ModelProto, observations: Float32Array, count: number): Promise<Float32Array> {
  if (!couplesBatch(model)) return policy.qValues(observations, count);
  const size = observationSize(policy.spec);
  const actions = policy.spec.actionCount;
  const out = new Float32Array(count * actions);
  for (let s = 0; s < count; s++) out.set(await policy.qValues(observations.subarray(s * size, (s + 1) * size), 1), s * actions);
  return out;
}
