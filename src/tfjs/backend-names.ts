// The tfjs backends by name, apart from their loaders so that `--help` lists them without loading tfjs.

/** Every tfjs backend name; tensorflow, tensorflow-gpu and webgpu need optional packages. */
export const BACKEND_NAMES = ['auto', 'cpu', 'wasm', 'webgpu', 'tensorflow', 'tensorflow-gpu'] as const;
/** A tfjs training backend; 'auto' times the ones that start here and takes the fastest. */
export type BackendName = (typeof BACKEND_NAMES)[number];
