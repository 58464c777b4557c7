// tfjs LayersModel ↔ folder (model.json + weights file) without tfjs-node, which has the only file:// handler.
// The weights file is named by its content hash and model.json is written last, so a crash between the
// two writes leaves the previous model.json pointing at the previous, intact weights.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import './networks.js'; // registers custom layers before any load
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import { readInputFile, readInputText } from '../util/input-file.js';
import { activateBackend } from './backends.js';

export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const weightsFile = `weights-${createHash('sha256').update(weights).digest('hex').slice(0, 12)}.bin`;
      writeFileAtomic(join(dir, weightsFile), weights);
      writeJsonAtomic(join(dir, 'model.json'), {
        format: 'layers-model',
        generatedBy: 'qdistill',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
      });
      for (const old of readdirSync(dir)) {
        if (/^weights-[0-9a-f]{12}\.bin$/.test(old) && old !== weightsFile) rmSync(join(dir, old), { force: true });
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Accepts a folder holding model.json or the model.json path itself. */
export function resolveModelJson(path: string): string {
  if (!existsSync(path)) throw new UsageError('model file not found', path);
  const file = statSync(path).isDirectory() ? join(path, 'model.json') : path;
  if (!existsSync(file)) throw new UsageError('no model.json in this folder', path);
  return file;
}

export async function loadLayersModel(path: string): Promise<tf.LayersModel> {
  const file = resolveModelJson(path);
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const text = readInputText(file, 'model.json', { maxBytes: 256 * 2 ** 20 });
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError('model.json is not valid JSON', file);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new UsageError('not a tfjs layers model', file);
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) =>
    group.paths.map((p) => {
      const weightsPath = join(dirname(file), basename(p));
      if (!existsSync(weightsPath)) throw new UsageError(`weights file '${p}' is missing`, file);
      return readInputFile(weightsPath, 'weights file');
    }),
  );
  const weightData = Buffer.concat(buffers);
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      }),
    );
  } catch (error) {
    throw new UsageError(`cannot load model: ${(error as Error).message}`, file);
  }
}

/**
 * The network's weights, read asynchronously, in a network `build` makes on the cpu backend (which becomes
 * the active one). For networks trained on webgpu, which cannot read tensors synchronously in Node.
 */
export async function copyToCpu(model: tf.LayersModel, build: () => tf.LayersModel): Promise<tf.LayersModel> {
  const weights = await Promise.all(model.getWeights().map(async (w) => ({ shape: w.shape, values: (await w.data()) as Float32Array })));
  await activateBackend('cpu');
  const copy = build();
  copy.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  return copy;
}
