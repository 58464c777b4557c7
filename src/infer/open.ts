// open(file, {runtime}) → Policy. Every runtime registers in RUNTIME_REGISTRY; naming one that cannot run
// here is a one-line error that says why, never a silent fallback to another.
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.js';
import { runtimePolicyModel } from '../policy/normalize.js';
import { firstLine, UsageError } from '../util/errors.js';
import { describePolicyFile } from '../policy/file.js';
import { jsRuntime } from './js-runtime.js';
import { browserRuntime } from './browser.js';
import { ortCpuRuntime } from './ort-node.js';
import { ortCudaRuntime, ortWebGpuRuntime } from './ort-node-gpu.js';
import { ortWasmRuntime } from './ort-wasm.js';
import type { Policy } from './policy.js';
import type { EnvSpec } from '../envs/types.js';
import type { Runtime, RuntimeOptions } from './runtime.js';
import { RUNTIME_NAMES } from './runtime-names.js';

/** Every runtime by name, in the order of RUNTIMES. */
export const RUNTIME_REGISTRY: Record<string, Runtime> = {
  [ortCpuRuntime.name]: ortCpuRuntime,
  [jsRuntime.name]: jsRuntime,
  [ortWasmRuntime.name]: ortWasmRuntime,
  [ortCudaRuntime.name]: ortCudaRuntime,
  [ortWebGpuRuntime.name]: ortWebGpuRuntime,
  [browserRuntime.name]: browserRuntime,
};

/** Runtime names, registry order. */
export const RUNTIMES: readonly string[] = RUNTIME_NAMES;
/** A runtime's name, one of RUNTIMES. */
export type RuntimeName = string;

/** Options of openPolicy(): the runtime, the environment, and settings for the runtime. */
export interface OpenOptions extends RuntimeOptions {
  /** Runtime to open on, one of RUNTIMES (default 'ort-cpu'); one that cannot run here is a UsageError, never a fallback. */
  runtime?: RuntimeName;
  /** Environment id for files without qdistill.env metadata (or to override it). */
  env?: string;
  /** Shapes for a file used with no environment at all (without `env` and metadata): see specFromGraph. */
  spec?: EnvSpec;
  /** Told one line per way the file was adapted for the runtime (fixed batch, ArgMax output, float16, …). */
  onLog?: (line: string) => void;
}

/** The runtime called `name`; an unknown name throws UsageError listing the known ones. */
export function runtimeByName(name: string): Runtime {
  const runtime = RUNTIME_REGISTRY[name];
  if (!runtime) throw new UsageError(`unknown runtime '${name}' (known: ${Object.keys(RUNTIME_REGISTRY).join(', ')})`);
  return runtime;
}

export { readModelBytes as readPolicyBytes } from '../onnx/read-bytes.js';
import { readModelBytes as readPolicyBytes } from '../onnx/read-bytes.js';

/**
 * Opens an ONNX policy file on a runtime (default ort-cpu) for the environment its qdistill.env metadata or
 * `options.env` names. Throws UsageError (one line) when the file is unreadable, does not fit that environment,
 * or the runtime cannot run it here.
 */
export async function openPolicy(file: string, options: OpenOptions = {}): Promise<Policy> {
  return openPolicyBytes(readPolicyBytes(file), file, options);
}

/** openPolicy() on bytes in memory (`file` names them in messages). */
export async function openPolicyBytes(bytes: Uint8Array, file: string, options: OpenOptions = {}): Promise<Policy> {
  return openPolicyModel(bytes, decodeModel(bytes, file), file, options);
}

/** A policy from bytes the caller has already decoded into `model` (so a command decodes its input once). */
export async function openPolicyModel(bytes: Uint8Array, model: ModelProto, file: string, options: OpenOptions = {}): Promise<Policy> {
  const { spec, info } = describePolicyFile(model, file, options.env, { output: options.output, allowFp16: options.allowFp16, spec: options.spec });
  for (const note of info.notes) options.onLog?.(`${file}: ${note}`);
  const adapted = runtimePolicyModel(model, info);
  if (adapted) {
    model = adapted;
    bytes = encodeModel(adapted);
  }
  const runtime = runtimeByName(options.runtime ?? 'ort-cpu');
  const reason = await runtime.unavailableReason();
  if (reason) throw new UsageError(`runtime '${runtime.name}' is not available here: ${reason}`);
  try {
    return await runtime.open(bytes, spec, info, options, model);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${runtime.name} cannot load the model: ${firstLine(error)}`, file);
  }
}
