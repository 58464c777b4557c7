// The `js` runtime: the policy compiled to plain JavaScript (src/codegen/js.ts) and imported from a data: URL,
// so it runs with no native code and no WebAssembly. The only code evaluated is the module we generated
// from the validated graph; no text from the file reaches it except numbers and the env id (JSON-quoted).
import { generateJs } from '../codegen/js.js';
import { lowerPolicy, sha256 } from '../codegen/program.js';
import type { Policy } from './policy.js';
import type { Runtime } from './runtime.js';

/** What the generated module exports. */
export interface GeneratedPolicyModule {
  env: string;
  observationShape: number[];
  observationSize: number;
  actionCount: number;
  qValues(observation: Float32Array): Float32Array;
  qValuesBatch(observations: Float32Array, batch: number): Float32Array;
  act(observation: Float32Array): number;
}

export async function importGeneratedModule(source: string): Promise<GeneratedPolicyModule> {
  return (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as GeneratedPolicyModule;
}

export const jsRuntime: Runtime = {
  name: 'js',
  description: 'the policy compiled to a dependency-free JavaScript module (float32 or int8 weights)',
  unavailableReason: async () => null,
  open: async (bytes, spec, info, options, model): Promise<Policy> => {
    const program = lowerPolicy(model, spec, info, { file: '(in memory)', sha256: sha256(bytes) }, { weights: options.weights, target: 'the js runtime', batches: true });
    const module = await importGeneratedModule(generateJs(program, { command: 'the js runtime (in memory)' }));
    return {
      spec,
      info,
      qValues: async (observations, batch) => module.qValuesBatch(observations, batch),
      act: async (observation) => module.act(observation),
      dispose: async () => {},
    };
  },
};
