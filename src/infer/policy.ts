// The Policy interface every runtime implements (onnxruntime's js/common is the model: interface first,
// runtimes plug in). A policy maps observations to Q-values (or logits) and acts greedily.
import type { EnvSpec } from '../envs/types.js';
import type { PolicyFileInfo } from '../policy/file.js';

/** A policy file opened on a runtime (see openPolicy): Q-values or logits for observations, and the greedy action. */
export interface Policy {
  /** The environment the policy plays. */
  readonly spec: EnvSpec;
  /** What the file holds: output kind, input layout and tensor names, card and metadata. */
  readonly info: PolicyFileInfo;
  /**
   * Outputs (batch × actionCount, row by row) for `batch` observations laid out one after another in the env's
   * native layout: Q-values or logits; for an actions policy (info.output 'actions'), one-hot rows of the
   * file's actions, since it has no Q-values.
   */
  qValues(observations: Float32Array, batch: number): Promise<Float32Array>;
  /** argmax of the outputs for one observation (an actions policy: the file's own action). */
  act(observation: Float32Array): Promise<number>;
  /** Releases what the runtime holds (session, browser page); the policy cannot be used afterwards. */
  dispose(): Promise<void>;
}
