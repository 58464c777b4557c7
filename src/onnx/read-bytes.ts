// Reading a model file once per command: its bytes (which runtimes take) and their decoded, validated form
// (which passes and describers read), kept together so that nothing downstream decodes the file again.
import { readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { decodeModel, type ModelProto } from './model.js';
import { withExternalData } from './external-data.js';

/**
 * A model file's bytes, self-contained: tensors kept as ONNX external data are read in from beside it. A
 * missing or unreadable file is a one-line UsageError naming it.
 */
export function readModelBytes(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new UsageError('model file not found or unreadable', file);
  }
  return withExternalData(bytes, file);
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
