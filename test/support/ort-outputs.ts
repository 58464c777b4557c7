// The first output of a model in memory, computed by onnxruntime-node for one input tensor.
import * as ort from 'onnxruntime-node';
import { encodeModel, type ModelProto } from '../../src/onnx/model.js';

export async function ortOutputs(model: ModelProto, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
  await session.release();
  return result[session.outputNames[0]].data as Float32Array;
}
