// Reading a model file once per command: its bytes (which runtimes take) and their decoded, validated form
// (which passes and describers read), kept together so that nothing downstream decodes the file again.
import { decodeModel, type ModelProto } from './model.js';
import { withExternalData } from './external-data.js';
import { readModelInput } from './read-input.js';

/**
 * A model file's bytes, self-contained: tensors kept as ONNX external data are read in from beside it. A
 * missing or unreadable file, one over MAX_MODEL_BYTES, a folder, a FIFO or a device is a one-line
 * UsageError naming it, before anything is read.
 */
export function readModelBytes(file: string): Uint8Array {
  return withExternalData(readModelInput(file, 'model file not found or unreadable'), file);
}

/** A model's bytes with their decoded form; `where` names it in messages. */
export interface LoadedModel {
  where: string;
  bytes: Uint8Array;
  model: ModelProto;
}

/** Reads and decodes (validating) a model file. */
export function loadModel(file: string): LoadedModel {
  return loadModelBytes(new Uint8Array(readModelBytes(file)), file);
}

/** Decodes (validating) model bytes already in memory. */
export function loadModelBytes(bytes: Uint8Array, where: string): LoadedModel {
  return { where, bytes, model: decodeModel(bytes, where) };
}
