// `inspect` on a file: read it (a one-line error when it cannot be read or decoded) and summarize it.
import { formatSummary, inspectModel, type ModelSummary } from './inspect.js';
import { decodeModel } from './model.js';
import { readModelBytes } from './read-bytes.js';

export { formatSummary };

/** IR and opset versions, producer, inputs/outputs, op histogram, parameters, bytes per dtype, MACs, metadata. */
export function inspect(file: string): ModelSummary {
  return inspectModel(decodeModel(readModelBytes(file), file));
}
