// A trained tfjs teacher folder → teacher.onnx next to it (used by `train` and `export onnx`).
import type * as tf from '@tensorflow/tfjs';
import { envSpec } from '../envs/registry.js';
import { TOOL_VERSION } from '../util/version.js';
import { tfjsToOnnx, type ExportOptions } from '../onnx/export-tfjs.js';
import { policyMetadata } from './metadata.js';
import { writeModelFile } from '../onnx/model.js';

export const TEACHER_ONNX = 'teacher.onnx';

export function writeTeacherOnnx(model: tf.LayersModel, envId: string, card: object, path: string, options: ExportOptions = {}): void {
  const spec = envSpec(envId);
  const onnx = tfjsToOnnx(model, spec, {
    ...options,
    producerVersion: TOOL_VERSION,
    metadata: policyMetadata(spec, card, { layout: options.layout }),
  });
  writeModelFile(path, onnx);
}
