// Turns the JSON body of an act request into observations for the policy, or a 400 whose message says
// exactly which value is wrong and what the environment needs. Image observations are accepted flat
// (the HWC values one after another) or nested as [h][w][c].
import { observationSize, type EnvSpec } from '../envs/types.js';

/** A request the client got wrong: the status code and one line for `{"error": ...}`. */
export class RequestError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface ActRequest {
  /** Observations one after another in the env's native layout. */
  observations: Float32Array;
  count: number;
  /** `{"observation": ...}` (answered with `action`) rather than `{"observations": ...}`. */
  single: boolean;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const ALLOWED_FIELDS = new Set(['observation', 'observations']);

/** Checks an act body against the env; RequestError (400) names the first value that is wrong. */
export function parseActRequest(body: unknown, spec: EnvSpec, maxRequestBatch: number): ActRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestError(400, 'the body must be a JSON object with "observation" (one) or "observations" (a list)');
  }
  const fields = Object.keys(body);
  const unknown = fields.find((f) => !ALLOWED_FIELDS.has(f));
  if (unknown !== undefined) throw new RequestError(400, `unknown field "${unknown}" (expected "observation" or "observations")`);
  const record = body as Record<string, unknown>;
  const hasOne = 'observation' in record;
  const hasMany = 'observations' in record;
  if (hasOne && hasMany) throw new RequestError(400, 'give "observation" or "observations", not both');
  if (!hasOne && !hasMany) throw new RequestError(400, 'the body needs "observation" (one) or "observations" (a list)');

  const size = observationSize(spec);
  if (hasOne) {
    const observations = new Float32Array(size);
    copyObservation(record.observation, spec, size, 'observation', observations, 0);
    return { observations, count: 1, single: true };
  }
  const list = record.observations;
  if (!Array.isArray(list)) throw new RequestError(400, '"observations" must be a list of observations');
  if (list.length === 0) throw new RequestError(400, '"observations" is empty');
  if (list.length > maxRequestBatch) {
    throw new RequestError(400, `"observations" has ${list.length} entries; this server takes at most ${maxRequestBatch} per request`);
  }
  const observations = new Float32Array(size * list.length);
  list.forEach((item, i) => copyObservation(item, spec, size, `observations[${i}]`, observations, i * size));
  return { observations, count: list.length, single: false };
}

/** The env's observation shape as a nested-list hint, e.g. [10][10][4] (for error messages only). */
const shapeText = (spec: EnvSpec) => spec.observationShape.map((d) => `[${d}]`).join('');

/** Copies one observation of `size` values (flat, or nested in the env's shape) into `out` at `offset`. */
function copyObservation(value: unknown, spec: EnvSpec, size: number, label: string, out: Float32Array, offset: number): void {
  if (!Array.isArray(value)) {
    throw new RequestError(400, `${label} must be a list of ${size} numbers${spec.observationShape.length > 1 ? ` (or nested as ${shapeText(spec)})` : ''}`);
  }
  const nested = spec.observationShape.length > 1 && value.length === spec.observationShape[0] && value.length !== size && Array.isArray(value[0]);
  if (nested) {
    copyNested(value, spec, spec.observationShape, label, out, offset);
    return;
  }
  if (value.length !== size) {
    throw new RequestError(400, `${label} has ${value.length} values; ${spec.id} needs ${size}${spec.observationShape.length > 1 ? ` (flat HWC, or nested as ${shapeText(spec)})` : ''}`);
  }
  for (let i = 0; i < size; i++) out[offset + i] = checkNumber(value[i], `${label}[${i}]`);
}

function copyNested(value: unknown, spec: EnvSpec, shape: number[], label: string, out: Float32Array, offset: number): number {
  const [length, ...inner] = shape;
  if (!Array.isArray(value)) throw new RequestError(400, `${label} must be a list of ${length} ${inner.length ? 'lists' : 'numbers'}`);
  if (value.length !== length) {
    throw new RequestError(400, `${label} has ${value.length} entries; ${spec.id} needs ${length} here (shape ${shapeText(spec)})`);
  }
  for (let i = 0; i < length; i++) {
    if (inner.length === 0) out[offset++] = checkNumber(value[i], `${label}[${i}]`);
    else offset = copyNested(value[i], spec, inner, `${label}[${i}]`, out, offset);
  }
  return offset;
}

/** `value` when it is a finite number within float32's range; else a 400 naming `label`. */
export function checkNumber(value: unknown, label: string): number {
  // JSON has no NaN or Infinity, but 1e999 parses to Infinity, and strings are not numbers.
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestError(400, `${label} is not a finite number`);
  if (Math.abs(value) > FLOAT32_MAX) throw new RequestError(400, `${label} is outside the float32 range`);
  return value;
}
