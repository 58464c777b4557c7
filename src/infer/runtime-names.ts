// The runtimes by name, in the registry's order (open.ts), apart from their code so that `--help` lists
// them without loading onnxruntime or Chromium. A test holds this list against the registry.

export const RUNTIME_NAMES = ['ort-cpu', 'js', 'ort-wasm', 'ort-cuda', 'ort-webgpu', 'browser'] as const;

/** Runtimes that take seconds to start (a browser), left out of "every available runtime" unless named. */
export const SLOW_TO_START: ReadonlySet<string> = new Set(['browser']);
