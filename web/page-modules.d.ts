// The modules `export web` makes for each page when it bundles web/main.ts (src/export/page-bundle.ts):
// the page's one environment and renderer, its policy entry, and for the js page the compiled policy.
declare module 'qdistill:page-env' {
  /** A new instance of the page's environment. */
  export function createEnv(): import('../src/envs/types.js').Env;
  export const renderer: import('./renderers/types.js').EnvRenderer;
}

declare module 'qdistill:page-policy' {
  export const loadPolicy: import('./policy-types.js').PolicyLoader;
}

declare module 'qdistill:compiled-policy' {
  /** The greedy action of one observation (the module `export js` writes). */
  export function act(observation: ArrayLike<number>): number;
}
