// The Policy interface every runtime implements (onnxruntime's js/common is the model: interface first,
// runtimes plug in). A policy maps observations to Q-values (or logits) and acts greedily.
import type { EnvSpec } from '../envs/types.js';
import type { PolicyFileInfo } from '../policy/file.js';

export interface Policy {
  readonly spec: EnvSpec;
  readonly info: PolicyFileInfo;
  /** Outputs for `batch` observations laid out one after another in the env's native layout. */
  qValues(observations: Float32Array, batch: number): Promise<Float32Array>;
  /** argmax of the outputs for one observation. */
  act(observation: Float32Array): Promise<number>;
  dispose(): Promise<void>;
}
