// How far a compressed policy is from the original: max |Δoutput| and argmax agreement on states the
// original visits when it plays its environment (ε = 0.05), both run in onnxruntime-node.
import { openPolicyModel } from '../infer/open.js';
import type { LoadedModel } from '../onnx/read-bytes.js';
import { visitedStates } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';

/** How close a pass's output stays to its input, on states the input visits playing its environment (ε = 0.05). */
export interface OutputComparison {
  /** States compared (1000). */
  states: number;
  /** Largest |output − original output| over those states and every action. */
  maxAbsError: number;
  /** Largest |output| of the original, for scale. */
  maxAbsOutput: number;
  /** Share of those states where both pick the same action. */
  agreement: number;
}

/** OutputComparison of `compressed` with `original`, both run in onnxruntime-node (ort-cpu). */
export async function compareOnEnvStates(original: LoadedModel, compressed: LoadedModel, env: string | undefined, states = 1000, seed = 31337): Promise<OutputComparison> {
  const a = await openPolicyModel(original.bytes, original.model, original.where, { env });
  const b = await openPolicyModel(compressed.bytes, compressed.model, compressed.where, { env });
  try {
    const { observations } = await visitedStates(a, states, seed);
    const x = await a.qValues(observations, states);
    const y = await b.qValues(observations, states);
    let maxAbsError = 0;
    let maxAbsOutput = 0;
    for (let i = 0; i < x.length; i++) {
      maxAbsError = Math.max(maxAbsError, Math.abs(x[i] - y[i]));
      maxAbsOutput = Math.max(maxAbsOutput, Math.abs(x[i]));
    }
    return { states, maxAbsError, maxAbsOutput, agreement: actionAgreement(x, y, a.spec.actionCount) };
  } finally {
    await a.dispose();
    await b.dispose();
  }
}
