// ONNX external data (torch.onnx.export of large models, onnx.save(..., save_as_external_data=True)): a tensor
// whose bytes live in a file beside the model, named by its external_data entries `location` (a path relative
// to the model's folder), `offset` and `length`. qdistill reads such a model once, as the self-contained model
// it describes: the bytes are copied into raw_data, so everything downstream (runtimes, passes, code
// generators) sees an ordinary model, and every file qdistill writes is self-contained.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { UsageError } from '../util/errors.js';
import { checkInputFile } from '../util/input-file.js';
import { decodeModelUnvalidated, encodeModel } from './model.js';
import { MAX_MODEL_BYTES } from './limits.js';
import type { GraphProto, ModelProto, TensorProto } from './proto.js';
import { tensorByteLength } from './tensor.js';

const EXTERNAL = 1;

const isExternal = (t: TensorProto) => t.dataLocation === EXTERNAL;

/** Every tensor of a graph that can hold data: initializers and node attributes, subgraphs included. */
function* tensorsOf(graph: GraphProto): Generator<TensorProto> {
  yield* graph.initializer;
  for (const node of graph.node) {
    for (const a of node.attribute) {
      if (a.t) yield a.t;
      yield* a.tensors ?? [];
      if (a.g) yield* tensorsOf(a.g);
      for (const g of a.graphs ?? []) yield* tensorsOf(g);
    }
  }
}

/**
 * `bytes` (the model file `file`) with every external tensor's data read in: the same bytes when the model
 * keeps all data inside (the common case, decided without decoding unless the bytes mention `location`).
 * UsageError (one line) for a location outside the model's folder, a missing data file, or a range past its end.
 */
export function withExternalData(bytes: Uint8Array, file: string): Uint8Array {
  // Every external tensor has an external_data entry with the key "location": no such string, nothing to read.
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('location')) return bytes;
  let model: ModelProto;
  try {
    model = decodeModelUnvalidated(bytes, file);
  } catch {
    return bytes; // not a model: decodeModel will say so
  }
  const external = model.graph ? [...tensorsOf(model.graph)].filter(isExternal) : [];
  if (!external.length) return bytes;
  const folder = dirname(resolve(file));
  let total = bytes.byteLength;
  for (const tensor of external) {
    // Checked before the tensor is read: its declared size alone may be past the limit.
    const exceeds = () => new UsageError(`model and its external data exceed ${MAX_MODEL_BYTES / 2 ** 20} MiB, the most qdistill reads`, file);
    if (total + tensorByteLength(tensor) > MAX_MODEL_BYTES) throw exceeds();
    tensor.rawData = readExternal(tensor, folder, file);
    total += tensor.rawData.byteLength;
    if (total > MAX_MODEL_BYTES) throw exceeds();
    delete tensor.externalData;
    delete tensor.dataLocation;
  }
  return encodeModel(model);
}

function readExternal(tensor: TensorProto, folder: string, file: string): Uint8Array {
  const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const name = `tensor '${tensor.name ?? ''}'`;
  const location = entries.get('location');
  if (!location) throw new UsageError(`${name} keeps its data externally but names no location`, file);
  if (isAbsolute(location) || normalize(location).split(/[\\/]/).includes('..')) {
    throw new UsageError(`${name} keeps its data in '${location}', outside the model's folder; ONNX external data must be a relative path beside the model`, file);
  }
  const path = resolve(folder, location);
  if (relative(folder, path).startsWith(`..${sep}`)) throw new UsageError(`${name} keeps its data outside the model's folder ('${location}')`, file);
  const offset = numberEntry(entries.get('offset'), 0, `${name}: external data offset`, file);
  const expected = tensorByteLength(tensor);
  const length = numberEntry(entries.get('length'), expected, `${name}: external data length`, file);
  if (length !== expected) throw new UsageError(`${name}: its external data length is ${length} bytes, but dims and type need ${expected}`, file);
  // A FIFO or a device named as the data file is refused before it is opened (opening a FIFO blocks); only
  // the tensor's range is read, so the data file's own size is not limited.
  try {
    checkInputFile(path, `${name}: its external data '${location}'`, { maxBytes: Number.MAX_SAFE_INTEGER });
  } catch (error) {
    // A missing file is told below, with the hint to copy it beside the model.
    if (!(error instanceof UsageError && /no such file/.test(error.message))) throw error;
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${name} keeps its data in '${location}', ${code === 'ENOENT' ? 'which is not beside the model (copy the data file with it)' : `which cannot be read (${code})`}`, file);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`${name}: its external data '${location}' is not a regular file`, file);
    if (offset + length > stat.size) throw new UsageError(`${name}: bytes ${offset}–${offset + length} of '${location}' are past its end (${stat.size} bytes)`, file);
    const data = new Uint8Array(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, data, read, length - read, offset + read);
      if (n === 0) throw new UsageError(`${name}: '${location}' ended while being read`, file);
      read += n;
    }
    return data;
  } finally {
    closeSync(fd);
  }
}

function numberEntry(value: string | undefined, fallback: number, what: string, file: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new UsageError(`${what} is '${value}', not a byte count`, file);
  return n;
}
