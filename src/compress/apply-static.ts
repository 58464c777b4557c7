// `quantize --mode static` from file to file: calibrate the activation ranges the pass will need (the slow,
// asynchronous part), then run the synchronous pass like every other pass, on the model decoded once.
// quantize-file.ts does the work for all three int8 modes; this is its static form with its own request type.
import type { PassResult } from './apply.js';
import type { CalibrationRequest } from './calibrate.js';
import type { PolicyRead } from './pass-input.js';
import type { StaticQuantOptions } from './quantize-static.js';
import { quantizeFile } from './quantize-file.js';

/** A static int8 request: the pass's options without the ranges, and where to calibrate. */
export type StaticQuantRequest = Omit<StaticQuantOptions, 'ranges' | 'calibration'> & Omit<CalibrationRequest, 'env' | 'output'>;

/** Static int8 of `input` into `out`; `env` for files without metadata, `read` for how to read the input. */
export async function applyStaticQuantization(input: string, out: string, request: StaticQuantRequest, env?: string, read: PolicyRead = {}): Promise<PassResult> {
  const { format, perChannel, keepInputLayer, keepFloat, perChannelLayers, source, states, settings, onProgress } = request;
  return quantizeFile(input, out, { mode: 'static', format, perChannel, perChannelLayers, keepInputLayer, keepFloat, source, states, settings, onProgress }, env, read);
}
