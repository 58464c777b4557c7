// ONNX models as plain objects: decode (with validation), encode, read and write files. protobufjs does the
// wire format; this module turns its message instances into plain objects whose int64 fields are ordinary
// numbers, so the rest of the toolkit never meets a Long. Repeated fields that every consumer walks (graph
// nodes, node inputs, tensor dims, …) are always present; every other field is present only when the file
// has it, which is what makes decode → encode reproduce the same model.
import protobuf from 'protobufjs';
import { writeFileAtomic } from '../util/atomic-write.js';
import { modelTooLarge, readModelInput } from './read-input.js';
import { OnnxFormatError, onnxType } from './schema.js';
import { validateModel } from './validate.js';
import { withExternalData } from './external-data.js';
import { countProblem, MAX_MODEL_BYTES, scanGraphCounts } from './limits.js';

export { AttributeType, OnnxFormatError } from './schema.js';
export type { StringStringEntryProto, OperatorSetIdProto, TensorShapeDimension, TensorShapeProto, TypeProtoTensor, TypeProto, ValueInfoProto, TensorProto, AttributeProto, NodeProto, TensorAnnotation, GraphProto, ModelProto } from './proto.js';
import type { ModelProto } from './proto.js';

/** Larger files are refused before they are read: policies are kilobytes to a few megabytes. */
export { MAX_MODEL_BYTES, MAX_GRAPH_NODES, MAX_GRAPH_INITIALIZERS } from './limits.js';

/** Repeated fields that are always present (possibly empty) in decoded models, by message name. */
const ALWAYS_PRESENT: Record<string, ReadonlySet<string>> = {
  ModelProto: new Set(['opsetImport']),
  GraphProto: new Set(['node', 'initializer', 'input', 'output']),
  NodeProto: new Set(['input', 'output', 'attribute']),
  TensorProto: new Set(['dims']),
  TensorShapeProto: new Set(['dim']),
};

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

function int64ToNumber(value: number | LongLike, field: string, where: string | undefined): number {
  // high·2^32 + low is rounded once, so any magnitude beyond 2^53 − 1 comes out as an unsafe integer.
  const n = typeof value === 'number' ? value : (value.unsigned ? value.high >>> 0 : value.high | 0) * 2 ** 32 + (value.low >>> 0);
  if (!Number.isSafeInteger(n)) {
    throw new OnnxFormatError(`not an ONNX model we can read: ${field} holds ${n.toExponential(3)}, beyond ±2^53`, where);
  }
  return n;
}

function plainValue(field: protobuf.Field, value: unknown, where: string | undefined): unknown {
  if (LONG_TYPES.has(field.type)) return int64ToNumber(value as number | LongLike, `${field.parent?.name}.${field.name}`, where);
  if (field.type === 'bytes') return Uint8Array.from(value as Uint8Array); // an own copy, not a view of the file
  if (isMessageField(field)) return toPlain(field.resolvedType as protobuf.Type, value, where);
  return value;
}

function isMessageField(field: protobuf.Field): boolean {
  return field.resolvedType instanceof protobuf.Type;
}

function toPlain(type: protobuf.Type, message: unknown, where: string | undefined): Record<string, unknown> {
  const source = message as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const always = ALWAYS_PRESENT[type.name];
  for (const field of type.fieldsArray) {
    const key = field.name;
    const present = Object.prototype.hasOwnProperty.call(source, key) && source[key] != null;
    if (field.repeated) {
      const values = present ? (source[key] as unknown[]) : [];
      if (values.length === 0 && !always?.has(key)) continue;
      const scalar = !LONG_TYPES.has(field.type) && field.type !== 'bytes' && !isMessageField(field);
      out[key] = scalar ? Array.from(values) : values.map((v) => plainValue(field, v, where));
    } else if (present) {
      out[key] = plainValue(field, source[key], where);
    }
  }
  // Fields this schema does not know are kept byte for byte (protobufjs writes them back on encode).
  const unknowns = source.$unknowns as Uint8Array[] | undefined;
  if (Object.prototype.hasOwnProperty.call(source, '$unknowns') && unknowns?.length) {
    Object.defineProperty(out, '$unknowns', { value: unknowns.map((u) => Uint8Array.from(u)), enumerable: false, writable: true, configurable: true });
  }
  return out;
}

function describeDecodeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/index out of range/.test(message)) return 'truncated protobuf';
  if (/max depth exceeded/.test(message)) return 'protobuf nested too deeply';
  if (/invalid wire type/.test(message)) return 'invalid protobuf wire type';
  if (/field number 0/.test(message)) return 'invalid protobuf field number 0';
  if (/varint/.test(message)) return 'malformed protobuf varint';
  if (/invalid tag/.test(message)) return 'malformed protobuf tag';
  if (/invalid length/.test(message)) return 'malformed protobuf length';
  if (/end group/.test(message)) return 'malformed protobuf group';
  return `malformed protobuf (${message.split('\n')[0].slice(0, 120)})`;
}

/** Decode and validate an ONNX model; any problem is one OnnxFormatError line. `where` names the source. */
export function decodeModel(bytes: Uint8Array, where?: string): ModelProto {
  const model = decodeModelUnvalidated(bytes, where);
  validateModel(model, where);
  return model;
}

/** Decode without validating (for readers that complete a model first, e.g. external data); still one OnnxFormatError line for bytes that are not a ModelProto. */
export function decodeModelUnvalidated(bytes: Uint8Array, where?: string): ModelProto {
  if (bytes.byteLength === 0) throw new OnnxFormatError('not an ONNX model: empty file', where);
  if (bytes.byteLength > MAX_MODEL_BYTES) {
    throw modelTooLarge(bytes.byteLength, where);
  }
  // A plain Uint8Array view (not a Buffer) so that every bytes field comes out as a plain Uint8Array.
  const view = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Counted from the wire before anything is built: a graph of 10^6 nodes is refused in milliseconds.
  const counts = scanGraphCounts(view);
  const tooMany = counts && countProblem(counts);
  if (tooMany) throw new OnnxFormatError(tooMany, where);
  const type = onnxType('ModelProto');
  let message: protobuf.Message;
  try {
    const reader = protobufReader(view);
    message = type.decode(reader);
  } catch (error) {
    throw new OnnxFormatError(`not an ONNX model: ${describeDecodeError(error)}`, where);
  }
  return toPlain(type, message, where) as unknown as ModelProto;
}

function protobufReader(bytes: Uint8Array): protobuf.Reader {
  const reader = protobuf.Reader.create(bytes);
  reader.discardUnknown = false;
  return reader;
}

/** Encode a model. Throws a plain Error (a bug, not bad input) when the object does not fit the schema. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = onnxType('ModelProto');
  const problem = type.verify(model as unknown as Record<string, unknown>);
  if (problem) throw new Error(`encodeModel: the model object does not fit onnx.ModelProto: ${problem}`);
  // A copy with its own ArrayBuffer: Node's writer may hand out a slice of a shared pool.
  return new Uint8Array(type.encode(model as unknown as Record<string, unknown>).finish());
}

/** Reads (a regular file within MAX_MODEL_BYTES, external data read in), decodes and validates a model file. */
export function readModelFile(path: string): ModelProto {
  return decodeModel(withExternalData(readModelInput(path, 'no such model file'), path), path);
}

/** Validate, encode and write atomically. A model that fails validation here is a bug in whoever built it. */
export function writeModelFile(path: string, model: ModelProto): void {
  try {
    validateModel(model);
  } catch (error) {
    if (error instanceof OnnxFormatError) throw new Error(`refusing to write an invalid model to ${path}: ${error.message}`);
    throw error;
  }
  writeFileAtomic(path, encodeModel(model));
}
