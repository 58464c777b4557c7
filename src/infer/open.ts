// open(file, {runtime}) → Policy. Runtimes register here; for now onnxruntime-node's CPU EP.
import { readFileSync } from 'node:fs';
import { decodeModel } from '../onnx/model.js';
import { UsageError } from '../util/errors.js';
import { describePolicyFile } from './describe.js';
import { openOrtCpuPolicy, type OrtCpuOptions } from './ort-node.js';
import type { Policy } from './policy.js';

export const RUNTIMES = ['ort-cpu'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

export interface OpenOptions extends OrtCpuOptions {
  runtime?: RuntimeName;
  /** Environment id for files without qdistill.env metadata (or to override it). */
  env?: string;
}

export function readPolicyBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError('model file not found or unreadable', file);
  }
}

export async function openPolicy(file: string, options: OpenOptions = {}): Promise<Policy> {
  return openPolicyBytes(readPolicyBytes(file), file, options);
}

/** A policy from bytes in memory (`where` names them in messages). */
export async function openPolicyBytes(bytes: Uint8Array, file: string, options: OpenOptions = {}): Promise<Policy> {
  const model = decodeModel(bytes, file);
  const { spec, info } = describePolicyFile(model, file, options.env);
  const runtime = options.runtime ?? 'ort-cpu';
  switch (runtime) {
    case 'ort-cpu':
      try {
        return await openOrtCpuPolicy(bytes, spec, info, options);
      } catch (error) {
        throw new UsageError(`onnxruntime cannot load the model: ${(error as Error).message.split('\n')[0]}`, file);
      }
    default:
      throw new UsageError(`unknown runtime '${runtime}' (available: ${RUNTIMES.join(', ')})`);
  }
}
