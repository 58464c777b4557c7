// The tfjs backends by name, apart from their loaders so that `--help` lists them without loading tfjs.

export const BACKEND_NAMES = ['auto', 'cpu', 'wasm', 'webgpu', 'tensorflow', 'tensorflow-gpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
