// How far a compressed policy is from the original: max |Δoutput| and argmax agreement on states the
// original visits when it plays its environment (ε = 0.05), both run in onnxruntime-node as they run when
// they act (one state per call for dynamic int8, see deployed-q.ts).
import { openPolicyModel } from '../infer/open.js';
import type { LoadedModel } from '../onnx/read-bytes.js';
import { visitedStates } from '../rollout/visited-states.js';
import { actionAgreement } from '../policy/agreement.js';
import type { DescribeOptions } from '../policy/file.js';
import { deployedQValues } from './deployed-q.js';

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

/**
 * OutputComparison of `compressed` with `original`, both run in onnxruntime-node (ort-cpu). `read` names the
 * output holding the Q-values and accepts float16 files, for both: the original is the user's file as given.
 */
export async function compareOnEnvStates(original: LoadedModel, compressed: LoadedModel, env: string | undefined, states = 1000, seed = 31337, read: DescribeOptions = {}): Promise<OutputComparison> {
  const options = { env, output: read.output, allowFp16: read.allowFp16 };
  const a = await openPolicyModel(original.bytes, original.model, original.where, options);
  const b = await openPolicyModel(compressed.bytes, compressed.model, compressed.where, options);
  try {
    const { observations } = await visitedStates(a, states, seed);
    const x = await deployedQValues(a, original.model, observations, states);
    const y = await deployedQValues(b, compressed.model, observations, states);
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
