// PyTorch checkpoints in torch.save's zip format: `<top>/data.pkl` (a pickle of the state dict) with each
// tensor's storage as raw little-endian bytes in `<top>/data/<key>`. Read with the restricted unpickler, so a
// checkpoint can name tensors, storages and OrderedDict and nothing else. Tensors come out as float32.
import { unzipSync } from 'fflate';
import { UsageError } from '../util/errors.js';
import { halfToFloat } from '../util/float16.js';
import { PyDict, PyGlobal, unpickle } from './pickle.js';

/** One tensor of a checkpoint: its shape and values (row-major, float32 whatever it was stored as). */
export interface Tensor {
  shape: number[];
  data: Float32Array;
  /** The storage's element type as torch names it, e.g. 'float32'. */
  dtype: string;
}

/** Storage classes → element type and bytes per element. */
const STORAGES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** torch dtype objects newer formats may name as plain values. */
const DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'float', 'double', 'half', 'long', 'int']);

const CALLABLE = new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter']);

/** The globals a state-dict checkpoint may name. */
export function allowedCheckpointGlobal(g: PyGlobal): boolean {
  if (CALLABLE.has(g.qualified)) return true;
  if (g.module === 'torch' && (g.name in STORAGES || DTYPES.has(g.name))) return true;
  return false;
}

interface StorageRef {
  storage: true;
  dtype: string;
  bytes: Uint8Array;
  elements: number;
}

/** The zip's entries by name; a file that is not a (whole) zip is a one-line UsageError. */
export function readZip(bytes: Uint8Array, where: string): Record<string, Uint8Array> {
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new UsageError('not a zip file (a torch.save checkpoint, an SB3 .zip) — it does not start with PK', where);
  try {
    return unzipSync(bytes);
  } catch (error) {
    throw new UsageError(`cannot read the zip: ${String((error as Error).message ?? error).split('\n')[0]} (is it truncated?)`, where);
  }
}


/** Element i of a storage as a number. */
function reader(s: StorageRef): (i: number) => number {
  const v = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  switch (s.dtype) {
    case 'float32':
      return (i) => v.getFloat32(i * 4, true);
    case 'float64':
      return (i) => v.getFloat64(i * 8, true);
    case 'float16':
      return (i) => halfToFloat(v.getUint16(i * 2, true));
    case 'bfloat16': {
      const f = new DataView(new ArrayBuffer(4));
      return (i) => (f.setUint32(0, v.getUint16(i * 2, true) << 16, false), f.getFloat32(0, false));
    }
    case 'int64':
      return (i) => Number(v.getBigInt64(i * 8, true));
    case 'int32':
      return (i) => v.getInt32(i * 4, true);
    case 'int16':
      return (i) => v.getInt16(i * 2, true);
    case 'int8':
      return (i) => v.getInt8(i);
    default:
      return (i) => v.getUint8(i);
  }
}

const intTuple = (x: unknown, what: string, where: string): number[] => {
  if (!Array.isArray(x) || !x.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new UsageError(`checkpoint tensor has a ${what} that is not a tuple of sizes`, where);
  return x as number[];
};

function rebuildTensor(args: unknown[], where: string): Tensor {
  const [storage, offset, size, stride] = args as [StorageRef, number, unknown, unknown];
  if (!storage || (storage as StorageRef).storage !== true) throw new UsageError('checkpoint tensor without a storage', where);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new UsageError('checkpoint tensor has a bad storage offset', where);
  const shape = intTuple(size, 'size', where);
  const strides = intTuple(stride, 'stride', where);
  if (strides.length !== shape.length) throw new UsageError('checkpoint tensor has a stride for each dimension missing', where);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  if (count > 0) {
    const last = offset + shape.reduce((a, d, i) => a + (d - 1) * strides[i], 0);
    if (last >= storage.elements) throw new UsageError(`checkpoint tensor reads past its storage (element ${last} of ${storage.elements})`, where);
    const get = reader(storage);
    const index = new Array<number>(shape.length).fill(0);
    let at = offset;
    for (let n = 0; n < count; n++) {
      data[n] = get(at);
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d]++;
        at += strides[d];
        if (index[d] < shape[d]) break;
        at -= strides[d] * shape[d];
        index[d] = 0;
      }
    }
  }
  return { shape: [...shape], data, dtype: storage.dtype };
}

/** True for a zip that holds a torch.save pickle. */
export function isTorchZip(entries: Record<string, Uint8Array>): boolean {
  return Object.keys(entries).some((name) => /^[^/]+\/data\.pkl$/.test(name));
}

/** The tensors of a torch.save'd state dict (nested dicts flattened with '.'), in file order. */
export function readTorchCheckpoint(bytes: Uint8Array, where: string): Map<string, Tensor> {
  return stateDictFromZip(readZip(bytes, where), where);
}

export function stateDictFromZip(entries: Record<string, Uint8Array>, where: string): Map<string, Tensor> {
  const pklName = Object.keys(entries).find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (!pklName) throw new UsageError('the zip is not a torch.save checkpoint (no <folder>/data.pkl in it)', where);
  const top = pklName.slice(0, -'/data.pkl'.length);
  const order = entries[`${top}/byteorder`];
  if (order && new TextDecoder().decode(order).trim() !== 'little') throw new UsageError('checkpoint was saved big-endian, which qdistill does not read', where);
  const value = unpickle(entries[pklName], {
    where,
    allow: allowedCheckpointGlobal,
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PyGlobal) || typeof pid[2] !== 'string') {
        throw new UsageError('checkpoint refers to a storage in a form qdistill does not read', where);
      }
      const kind = STORAGES[pid[1].name];
      if (!kind) throw new UsageError(`checkpoint stores tensors as ${pid[1].qualified}, which qdistill does not read`, where);
      const data = entries[`${top}/data/${pid[2]}`];
      if (!data) throw new UsageError(`checkpoint lacks the storage file ${top}/data/${pid[2]}`, where);
      return { storage: true, dtype: kind.dtype, bytes: data, elements: Math.floor(data.length / kind.bytes) } satisfies StorageRef;
    },
    call: (callee, args) => {
      switch (callee.qualified) {
        case 'collections.OrderedDict':
          if (args.length) throw new UsageError('checkpoint builds an OrderedDict from arguments, which qdistill does not do', where);
          return new PyDict();
        case 'torch._utils._rebuild_tensor_v2':
          return rebuildTensor(args, where);
        case 'torch._utils._rebuild_parameter':
          return args[0];
        default:
          throw new UsageError(`checkpoint calls '${callee.qualified}', which qdistill does not do`, where);
      }
    },
  });
  const tensors = new Map<string, Tensor>();
  const walk = (node: unknown, prefix: string) => {
    if (!(node instanceof PyDict)) return;
    for (const [key, item] of node.entries) {
      if (typeof key !== 'string') continue;
      const name = prefix ? `${prefix}.${key}` : key;
      if (item instanceof PyDict) walk(item, name);
      else if (item && typeof item === 'object' && 'data' in item && (item as Tensor).data instanceof Float32Array) tensors.set(name, item as Tensor);
    }
  };
  if (!(value instanceof PyDict)) throw new UsageError('checkpoint holds no state dict (its pickle is not a dict)', where);
  walk(value, '');
  if (tensors.size === 0) throw new UsageError('checkpoint holds no tensors', where);
  return tensors;
}
