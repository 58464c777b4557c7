// Entry of the default page's policy: the module `export js` writes for this model, bundled into the page
// (a few KB, no wasm to fetch, nothing to fetch at all: the page also works opened as a file).
import { act } from 'qdistill:compiled-policy';
import type { PolicyLoader } from './policy-types.js';

export const loadPolicy: PolicyLoader = async () => ({
  async act(observation) {
    const start = performance.now();
    const action = act(observation);
    return { action, inferenceMs: performance.now() - start };
  },
});
