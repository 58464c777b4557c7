// What a runtime provides to the registry in open.ts: a name, whether it can run here (and if not, one line
// saying why and how to fix it), and how to open a policy from validated bytes.
import type { EnvSpec } from '../envs/types.js';
import type { ModelProto } from '../onnx/model.js';
import type { Policy } from './policy.js';
import { type PolicyFileInfo } from '../policy/file.js';

/** Settings for the runtime a policy is opened on; each runtime reads the ones that apply to it. */
export interface RuntimeOptions {
  /** onnxruntime runtimes: threads inside one operator (intraOpNumThreads; default 1, which suits the tiny policies we serve). */
  threads?: number;
  /** onnxruntime runtimes: graph optimizations applied when the session is created (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** browser: the execution provider inside Chromium (default wasm). */
  browserBackend?: 'wasm' | 'webgpu';
  /** js: the number format of the weights inlined in the generated module (default float32). */
  weights?: 'float32' | 'int8';
  /** The graph output holding the Q-values, for files with several outputs (default: q_values, logits, else the first). */
  output?: string;
  /** Run a file with a float16 input and output, casting float32 observations and Q-values at its boundary. */
  allowFp16?: boolean;
}

/** One way to run a policy file, as registered in open.ts. */
export interface Runtime {
  /** The name it is asked for by, e.g. 'ort-cpu'. */
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
