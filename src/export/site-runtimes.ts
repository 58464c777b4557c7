// The runtimes an exported page can use, for `export web --runtime` (a name module: the CLI's --help reads it
// without loading esbuild or the codegen).

/** 'auto' is the compiled js policy where the model compiles, else ort-wasm. */
export const PAGE_RUNTIMES = ['auto', 'js', 'ort-wasm', 'ort-webgpu'] as const;
