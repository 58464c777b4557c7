// `quantize --mode static` from file to file: calibrate the activation ranges the pass will need (the slow,
// asynchronous part), then run the synchronous pass through applyPass like every other pass.
import { readPolicyBytes } from '../infer/open.js';
import { decodeModel } from '../onnx/model.js';
import { applyPass, type PassResult } from './apply.js';
import { calibrate, type CalibrationRequest } from './calibrate.js';
import { probesForStaticPass, staticQuantizationPass, type StaticQuantOptions } from './quantize-static.js';

export type StaticQuantRequest = Omit<StaticQuantOptions, 'ranges' | 'calibration'> & Omit<CalibrationRequest, 'env'>;

export async function applyStaticQuantization(input: string, out: string, request: StaticQuantRequest, env?: string): Promise<PassResult> {
  const bytes = readPolicyBytes(input);
  const { format, perChannel, keepInputLayer, ...calibration } = request;
  const probes = probesForStaticPass(decodeModel(bytes, input), { format, keepInputLayer });
  const { source, states, ranges } = await calibrate(bytes, input, probes, { ...calibration, env });
  const options: StaticQuantOptions = { format, perChannel, keepInputLayer, ranges, calibration: { source, states, method: request.settings.method } };
  return applyPass(staticQuantizationPass, input, out, options, env);
}
