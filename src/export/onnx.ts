// `export onnx`: a tfjs teacher folder (written by `train`) as an ONNX policy file.
import { dirname, join } from 'node:path';
import { checkEnvId } from '../envs/registry.js';
import { readCard } from '../policy/card.js';
import { TEACHER_ONNX, writeTeacherOnnx } from '../policy/teacher-onnx.js';
import { activateBackend, quietTfjs } from '../tfjs/backends.js';
import { loadLayersModel, resolveModelJson } from '../tfjs/model-io.js';
import { prepareOutputFile } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';

/** Options of exportOnnx(): the output file, the environment, and the graph's form. */
export interface ExportOnnxOptions {
  /** Output file (default: teacher.onnx in the model folder). */
  out?: string;
  /** Environment id (default: the one on the model card). */
  env?: string;
  /** ONNX opset (default 17). */
  opset?: 13 | 17;
  /** Dense layers as one Gemm (default) or as MatMul + Add. */
  dense?: 'gemm' | 'matmul';
  /** Image input in the env's HWC layout ('native', default) or NCHW. */
  layout?: 'native' | 'nchw';
}

/**
 * Writes the tfjs model at `modelPath` (a folder or its model.json) as an ONNX policy; returns the file and the
 * settings it used. UsageError when neither `env` nor the model's card names a known environment.
 */
export async function exportOnnx(modelPath: string, o: ExportOnnxOptions = {}): Promise<{ out: string; env: string; opset: number; dense: string; layout: string }> {
  if (o.out !== undefined) prepareOutputFile(o.out);
  const modelJson = resolveModelJson(modelPath);
  const card = readCard(dirname(modelJson));
  const env = o.env ?? card?.env;
  if (!env) throw new UsageError('the model has no card naming its environment; pass --env', modelPath);
  checkEnvId(env);
  quietTfjs();
  await activateBackend('cpu');
  const model = await loadLayersModel(modelJson);
  const out = o.out ?? join(dirname(modelJson), TEACHER_ONNX);
  const opset = o.opset ?? 17;
  const dense = o.dense ?? 'gemm';
  const layout = o.layout ?? 'native';
  writeTeacherOnnx(model, env, card ?? { env }, out, { opset, dense, layout });
  return { out, env, opset, dense, layout };
}
