// A pass's input as read before any work: checked the way the runtimes check a policy file (one-line errors
// for a float16 file without allowFp16, an unknown --output), and for a float16 file (torch's `model.half()`
// export) the float32 model the passes can rewrite. The passes work in float32, so such a file is widened
// (src/onnx/widen-float16.ts) and the pass runs on that; the before/after checks still open the original.
import { encodeModel, type ModelProto } from '../onnx/model.js';
import { metadataOf, setMetadata } from '../onnx/graph.js';
import { loadModel, type LoadedModel } from '../onnx/read-bytes.js';
import { DataType } from '../onnx/tensor.js';
import { widenFloat16 } from '../onnx/widen-float16.js';
import { checkPolicyGraph, chooseOutput, describePolicyFile, float16Refusal, type DescribeOptions } from '../policy/file.js';
import { METADATA_KEYS, passHistory } from '../policy/metadata.js';

/** How a pass reads its input file: which output holds the Q-values, and whether float16 is accepted. */
export type PolicyRead = DescribeOptions;

/** A pass's input file, read once and checked; `model` is what the pass rewrites. */
export interface PassInput {
  /** The file as given: its size is "before", and the agreement and reward checks open it. */
  original: LoadedModel;
  /** What the pass rewrites: the original, or its float32 widening when the file is float16. */
  model: LoadedModel;
  /** The environment given for files without qdistill.env metadata. */
  env: string | undefined;
  /** Whether the environment is known (given, or in the metadata): then outputs are compared on its states. */
  hasEnv: boolean;
  /** How both files are opened for the checks. */
  read: PolicyRead;
  /** One line per way the input was read before the pass (a float16 file widened), for the report. */
  notes: string[];
}

const isFloat16 = (v: { type?: { tensorType?: { elemType?: number } } }) => v.type?.tensorType?.elemType === DataType.FLOAT16;

/** The observation inputs (initializers listed as inputs left out) and the output read as the Q-values. */
function boundary(model: ModelProto, read: PolicyRead, where: string) {
  const graph = model.graph!;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((v) => !initializers.has(v.name));
  const outputs = graph.output;
  const { output } = chooseOutput(outputs, read.output, where);
  return { inputs, outputs, output };
}

/**
 * Checks the file as a policy: with an environment (given, or in its metadata), describePolicyFile's checks;
 * without one, the checks that need none (float16 without allowFp16, an --output it lacks). UsageError (one line).
 */
export function checkPassInput(model: ModelProto, where: string, env: string | undefined, read: PolicyRead): void {
  if (env !== undefined || metadataOf(model)[METADATA_KEYS.env] !== undefined) {
    describePolicyFile(model, where, env, read);
    return;
  }
  // No env to hold the file against: still a policy graph (free batch, rank-2 output).
  checkPolicyGraph(model, where, read);
  const { inputs, output } = boundary(model, read, where);
  if (read.allowFp16) return;
  const input16 = inputs.find(isFloat16);
  if (input16) throw float16Refusal('input', input16.name, where);
  if (output && isFloat16(output)) throw float16Refusal('output', output.name, where);
}

/** The line a report gets when a float16 file was widened before `pass`. */
function widenedLine(pass: string): string {
  const again = pass === 'fp16' ? '; fp16 then stored its weights as float16 again (float32 input, output and arithmetic)' : '';
  return `the float16 file was widened to float32 (weights, constants, casts and boundary) before ${pass}; the output takes and gives float32${again}`;
}

/** Reads, decodes and checks `file` for `pass`; a float16 file given with allowFp16 is widened to float32. */
export function readPassInput(file: string, pass: string, env: string | undefined, read: PolicyRead = {}): PassInput {
  const original = loadModel(file);
  const { model, where } = original;
  checkPassInput(model, where, env, read);
  const hasEnv = env !== undefined || metadataOf(model)[METADATA_KEYS.env] !== undefined;
  const { inputs, outputs } = boundary(model, read, where);
  const float16 = read.allowFp16 && (inputs.some(isFloat16) || outputs.some(isFloat16));
  const wide = float16 ? widenFloat16(model) : null;
  if (!wide) return { original, model: original, env, hasEnv, read, notes: [] };
  setMetadata(wide, { [METADATA_KEYS.passes]: JSON.stringify([...passHistory(metadataOf(model)), { pass: 'widen-float16', options: {} }]) });
  const widened: LoadedModel = { where, bytes: encodeModel(wide), model: wide };
  return { original, model: widened, env, hasEnv, read, notes: [widenedLine(pass)] };
}
