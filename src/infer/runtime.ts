// What a runtime provides to the registry in open.ts: a name, whether it can run here (and if not, one line
// saying why and how to fix it), and how to open a policy from validated bytes.
import type { EnvSpec } from '../envs/types.js';
import type { ModelProto } from '../onnx/model.js';
import type { Policy } from './policy.js';
import { type PolicyFileInfo } from '../policy/file.js';

export interface RuntimeOptions {
  /** Threads inside one operator (onnxruntime's intraOpNumThreads); 1 suits the tiny policies we serve. */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** browser: the execution provider inside Chromium. */
  browserBackend?: 'wasm' | 'webgpu';
  /** js: the number format of the weights inlined in the generated module. */
  weights?: 'float32' | 'int8';
}

export interface Runtime {
  readonly name: string;
  /** One line for `--help` and `bench`. */
  readonly description: string;
  /** null when the runtime can run on this machine, else one line: what is missing and how to get it. */
  unavailableReason(): Promise<string | null>;
  /**
   * Opens validated bytes (`model` is their decoded form, for runtimes that read the graph themselves). Throws
   * UsageError (one line) when the model cannot run here; never falls back to another runtime.
   */
  open(bytes: Uint8Array, spec: EnvSpec, info: PolicyFileInfo, options: RuntimeOptions, model: ModelProto): Promise<Policy>;
}
