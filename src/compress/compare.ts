// How far a compressed policy is from the original: max |Δoutput| and argmax agreement on states the
// original visits when it plays its environment (ε = 0.05), both run in onnxruntime-node.
import { makeEnv } from '../envs/registry.js';
import { Rng } from '../envs/rng.js';
import { observationSize } from '../envs/types.js';
import { collectSteps } from '../distill/collect.js';
import { DistillMemory } from '../distill/memory.js';
import { openPolicyBytes } from '../infer/open.js';
import { argmax } from '../infer/policy.js';

export interface OutputComparison {
  states: number;
  maxAbsError: number;
  /** Largest |output| of the original, for scale. */
  maxAbsOutput: number;
  agreement: number;
}

export async function compareOnEnvStates(original: Uint8Array, compressed: Uint8Array, env: string | undefined, states = 1000, seed = 31337): Promise<OutputComparison> {
  const a = await openPolicyBytes(original, 'original', { env });
  const b = await openPolicyBytes(compressed, 'compressed', { env });
  try {
    const e = makeEnv(a.spec.id);
    const memory = new DistillMemory(states, observationSize(e.spec), e.spec.actionCount);
    await collectSteps({ env: e, teacher: a, studentAct: () => 0, rng: new Rng(seed), seed, episodes: 0, observation: null }, memory, states, 1);
    const observations = memory.transitions.observations;
    const x = await a.qValues(observations, states);
    const y = await b.qValues(observations, states);
    const n = e.spec.actionCount;
    let maxAbsError = 0;
    let maxAbsOutput = 0;
    let same = 0;
    for (let i = 0; i < x.length; i++) {
      maxAbsError = Math.max(maxAbsError, Math.abs(x[i] - y[i]));
      maxAbsOutput = Math.max(maxAbsOutput, Math.abs(x[i]));
    }
    for (let s = 0; s < states; s++) if (argmax(x, s * n, n) === argmax(y, s * n, n)) same++;
    return { states, maxAbsError, maxAbsOutput, agreement: same / states };
  } finally {
    await a.dispose();
    await b.dispose();
  }
}
