// One inference request from parsed body to answer, the same for every way it arrives (the fast path of
// fast-path.ts or fastify's routes) and for both protocols (v1 act, v2 infer): parse, run through the
// model's batcher, shape the answer. The client's mistakes are 4xx answers; a failed inference call is a 500
// naming the runtime's first line.
import { firstLine } from '../util/errors.js';
import type { ServedModel } from './models.js';
import { RequestError } from './validate.js';

/** A status and the JSON body to send with it. */
export interface Answer {
  status: number;
  body: unknown;
}

/** Observations parsed from a request, in the env's native layout. */
export interface ParsedObservations {
  observations: Float32Array;
  count: number;
}

/** `{"error": message}` with `status`. */
export function errorAnswer(status: number, message: string): Answer {
  return { status, body: { error: message } };
}

/**
 * Parses `body` with `parse`, runs the observations through the model's batcher and shapes the answer with
 * `respond`; a RequestError from `parse` is its 4xx answer.
 */
export async function answerInference<P extends ParsedObservations>(
  model: ServedModel,
  parse: () => P,
  respond: (outputs: Float32Array, parsed: P) => unknown,
): Promise<Answer> {
  let parsed: P;
  try {
    parsed = parse();
  } catch (error) {
    if (error instanceof RequestError) return errorAnswer(error.statusCode, error.message);
    throw error;
  }
  let outputs: Float32Array;
  try {
    outputs = await model.batcher.submit(parsed.observations, parsed.count);
  } catch (error) {
    return errorAnswer(500, `inference failed: ${firstLine(error)}`);
  }
  model.metrics.observed(parsed.count);
  return { status: 200, body: respond(outputs, parsed) };
}
