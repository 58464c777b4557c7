// `quantize --mode static` from file to file: calibrate the activation ranges the pass will need (the slow,
// asynchronous part), then run the synchronous pass like every other pass, on the model decoded once.
import { loadModel } from '../onnx/read-bytes.js';
import { applyPassToModel, checkOutput, type PassResult } from './apply.js';
import { calibrate, type CalibrationRequest } from './calibrate.js';
import { probesForStaticPass, staticQuantizationPass, type StaticQuantOptions } from './quantize-static.js';

export type StaticQuantRequest = Omit<StaticQuantOptions, 'ranges' | 'calibration'> & Omit<CalibrationRequest, 'env'>;

export async function applyStaticQuantization(input: string, out: string, request: StaticQuantRequest, env?: string): Promise<PassResult> {
  checkOutput(input, out);
  const loaded = loadModel(input);
  const { format, perChannel, keepInputLayer, ...calibration } = request;
  const probes = probesForStaticPass(loaded.model, { format, keepInputLayer });
  const { source, states, ranges } = await calibrate(loaded, probes, { ...calibration, env });
  const options: StaticQuantOptions = { format, perChannel, keepInputLayer, ranges, calibration: { source, states, method: request.settings.method } };
  return applyPassToModel(staticQuantizationPass, loaded, out, options, env);
}
