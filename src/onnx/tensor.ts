// TensorProto contents: data types, element counts and sizes, reading values out as numbers and building
// float32 / int64 tensors. Reading checks that the stored data matches the declared dims before it
// allocates anything, so a tensor that claims 10^12 elements costs nothing.
import type { TensorProto } from './proto.js';
import { OnnxFormatError, quoteName } from './schema.js';
import { halfToFloat } from '../util/float16.js';

/** TensorProto.DataType. */
export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
  FLOAT4E2M1 = 23,
}

/** Bits per element as stored in raw_data; STRING has no fixed size. */
const ELEMENT_BITS: Partial<Record<DataType, number>> = {
  [DataType.FLOAT]: 32,
  [DataType.UINT8]: 8,
  [DataType.INT8]: 8,
  [DataType.UINT16]: 16,
  [DataType.INT16]: 16,
  [DataType.INT32]: 32,
  [DataType.INT64]: 64,
  [DataType.BOOL]: 8,
  [DataType.FLOAT16]: 16,
  [DataType.DOUBLE]: 64,
  [DataType.UINT32]: 32,
  [DataType.UINT64]: 64,
  [DataType.COMPLEX64]: 64,
  [DataType.COMPLEX128]: 128,
  [DataType.BFLOAT16]: 16,
  [DataType.FLOAT8E4M3FN]: 8,
  [DataType.FLOAT8E4M3FNUZ]: 8,
  [DataType.FLOAT8E5M2]: 8,
  [DataType.FLOAT8E5M2FNUZ]: 8,
  [DataType.UINT4]: 4,
  [DataType.INT4]: 4,
  [DataType.FLOAT4E2M1]: 4,
};

export function isKnownDataType(dataType: number | undefined): dataType is DataType {
  return dataType !== undefined && Number.isInteger(dataType) && dataType > 0 && dataType <= DataType.FLOAT4E2M1;
}

export function dataTypeName(dataType: number | undefined): string {
  return isKnownDataType(dataType) ? DataType[dataType] : `data type ${dataType ?? 'unset'}`;
}

/** Bytes per element (0.5 for 4-bit types); undefined for STRING and unknown types. */
export function elementByteSize(dataType: number | undefined): number | undefined {
  const bits = isKnownDataType(dataType) ? ELEMENT_BITS[dataType] : undefined;
  return bits === undefined ? undefined : bits / 8;
}

const FLOAT_TYPES: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.DOUBLE,
  DataType.BFLOAT16,
  DataType.FLOAT8E4M3FN,
  DataType.FLOAT8E4M3FNUZ,
  DataType.FLOAT8E5M2,
  DataType.FLOAT8E5M2FNUZ,
  DataType.FLOAT4E2M1,
]);
const INTEGER_TYPES: ReadonlySet<number> = new Set([
  DataType.UINT8,
  DataType.INT8,
  DataType.UINT16,
  DataType.INT16,
  DataType.INT32,
  DataType.INT64,
  DataType.UINT32,
  DataType.UINT64,
  DataType.UINT4,
  DataType.INT4,
]);

export function isFloatType(dataType: number | undefined): boolean {
  return dataType !== undefined && FLOAT_TYPES.has(dataType);
}

export function isIntegerType(dataType: number | undefined): boolean {
  return dataType !== undefined && INTEGER_TYPES.has(dataType);
}

/**
 * The product of dims without ever overflowing: -1 when a dim is negative or not an integer,
 * Infinity when the product exceeds 2^53.
 */
export function dimsProduct(dims: readonly number[]): number {
  let product = 1;
  let overflow = false;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return -1;
    if (d === 0) return 0;
    if (!overflow) {
      product *= d;
      if (product > Number.MAX_SAFE_INTEGER) overflow = true;
    }
  }
  return overflow ? Infinity : product;
}

function tensorLabel(t: TensorProto): string {
  return `tensor ${quoteName(t.name ?? '')}`;
}

/** Elements the tensor declares. Throws OnnxFormatError for negative dims or more than 2^53 elements. */
export function tensorElementCount(t: TensorProto): number {
  const n = dimsProduct(t.dims);
  if (n < 0) throw new OnnxFormatError(`${tensorLabel(t)} has an invalid dimension in ${formatDims(t.dims)}`);
  if (!Number.isFinite(n)) throw new OnnxFormatError(`${tensorLabel(t)} declares dims ${formatDims(t.dims)}, more than 2^53 elements`);
  return n;
}

/** Bytes of payload: elements × element size (what raw_data holds), or the summed lengths for strings. */
export function tensorByteLength(t: TensorProto): number {
  if (t.dataType === DataType.STRING) return (t.stringData ?? []).reduce((sum, s) => sum + s.byteLength, 0);
  const bits = isKnownDataType(t.dataType) ? ELEMENT_BITS[t.dataType] : undefined;
  if (bits === undefined) throw new OnnxFormatError(`${tensorLabel(t)} has unsupported ${dataTypeName(t.dataType)}`);
  return Math.ceil((tensorElementCount(t) * bits) / 8);
}

/** Dims for messages: at most 8 shown. */
export function formatDims(dims: readonly number[]): string {
  const shown = dims.slice(0, 8).join(',');
  return `[${shown}${dims.length > 8 ? `,… (${dims.length} dims)` : ''}]`;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bfloat16ToFloat(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (bits & 0xffff) << 16);
  return view.getFloat32(0);
}

function readRaw(t: TensorProto, raw: Uint8Array, n: number, out: Float64Array | Float32Array): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (t.dataType) {
    case DataType.FLOAT:
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return;
    case DataType.DOUBLE:
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return;
    case DataType.FLOAT16:
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return;
    case DataType.BFLOAT16:
      for (let i = 0; i < n; i++) out[i] = bfloat16ToFloat(view.getUint16(i * 2, true));
      return;
    case DataType.UINT8:
    case DataType.BOOL:
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      return;
    case DataType.INT8:
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return;
    case DataType.UINT16:
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      return;
    case DataType.INT16:
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return;
    case DataType.INT32:
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return;
    case DataType.UINT32:
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
      return;
    case DataType.INT64:
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return;
    case DataType.UINT64:
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      return;
  }
  throw new OnnxFormatError(`cannot read ${tensorLabel(t)} of ${dataTypeName(t.dataType)} as numbers`);
}

/** The typed field that holds this data type's values when raw_data is not used. */
export function typedFieldFor(dataType: number | undefined): 'floatData' | 'int32Data' | 'int64Data' | 'doubleData' | 'uint64Data' | 'stringData' | undefined {
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return 'floatData';
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return 'doubleData';
    case DataType.INT64:
      return 'int64Data';
    case DataType.UINT32:
    case DataType.UINT64:
      return 'uint64Data';
    case DataType.STRING:
      return 'stringData';
    case undefined:
      return undefined;
    default:
      return isKnownDataType(dataType) ? 'int32Data' : undefined;
  }
}

function readValues<T extends Float32Array | Float64Array>(t: TensorProto, make: (n: number) => T): T {
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new OnnxFormatError(`${tensorLabel(t)} keeps its data in an external file`);
  }
  const n = tensorElementCount(t);
  const bits = isKnownDataType(t.dataType) ? ELEMENT_BITS[t.dataType] : undefined;
  if (t.rawData !== undefined) {
    if (bits === undefined || bits < 8) throw new OnnxFormatError(`cannot read ${tensorLabel(t)} of ${dataTypeName(t.dataType)} as numbers`);
    if (t.rawData.byteLength !== (n * bits) / 8) {
      throw new OnnxFormatError(`${tensorLabel(t)} declares dims ${formatDims(t.dims)} (${n} elements) but its raw_data is ${t.rawData.byteLength} bytes`);
    }
    const out = make(n);
    if (t.dataType === DataType.FLOAT && out instanceof Float32Array && LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer).set(t.rawData);
      return out;
    }
    readRaw(t, t.rawData, n, out);
    return out;
  }
  const field = typedFieldFor(t.dataType);
  const values = field === undefined || field === 'stringData' ? undefined : t[field];
  const held = values?.length ?? 0;
  if (field === undefined || field === 'stringData' || t.dataType === DataType.COMPLEX64 || t.dataType === DataType.COMPLEX128 || (bits ?? 0) < 8 || (t.dataType ?? 0) >= 17) {
    throw new OnnxFormatError(`cannot read ${tensorLabel(t)} of ${dataTypeName(t.dataType)} as numbers`);
  }
  if (held !== n) throw new OnnxFormatError(`${tensorLabel(t)} declares dims ${formatDims(t.dims)} (${n} elements) but holds ${held}`);
  const out = make(n);
  const source = values as number[];
  if (t.dataType === DataType.FLOAT16) for (let i = 0; i < n; i++) out[i] = halfToFloat(source[i]);
  else if (t.dataType === DataType.BFLOAT16) for (let i = 0; i < n; i++) out[i] = bfloat16ToFloat(source[i]);
  else for (let i = 0; i < n; i++) out[i] = source[i];
  return out;
}

/** The tensor's values as float32 (float, double, float16, bfloat16 and integer types). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  return readValues(t, (n) => new Float32Array(n));
}

/** The tensor's values as float64: exact for int64 values up to 2^53 (shape tensors, axes). */
export function tensorToFloat64(t: TensorProto): Float64Array {
  return readValues(t, (n) => new Float64Array(n));
}

function checkDataLength(dims: readonly number[], length: number, what: string): void {
  const n = dimsProduct(dims);
  if (n !== length) throw new RangeError(`${what}: dims ${formatDims(dims)} need ${n} values, got ${length}`);
}

export function float32Tensor(name: string, dims: readonly number[], data: Float32Array | readonly number[]): TensorProto {
  checkDataLength(dims, data.length, `float32Tensor '${name}'`);
  const rawData = new Uint8Array(data.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { dims: [...dims], dataType: DataType.FLOAT, name, rawData };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  checkDataLength(dims, values.length, `int64Tensor '${name}'`);
  const rawData = new Uint8Array(values.length * 8);
  const view = new DataView(rawData.buffer);
  values.forEach((v, i) => {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64Tensor '${name}': ${v} is not a safe integer`);
    view.setBigInt64(i * 8, BigInt(v), true);
  });
  return { dims: [...dims], dataType: DataType.INT64, name, rawData };
}

export function int8Tensor(name: string, dims: readonly number[], data: Int8Array): TensorProto {
  checkDataLength(dims, data.length, `int8Tensor '${name}'`);
  return { dims: [...dims], dataType: DataType.INT8, name, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

/** IEEE 754 binary16 bits of a number, rounded to nearest even; overflow → ±Infinity. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflow to ±0
    mantissa |= 0x800000; // subnormal half: shift the implicit bit in
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (half + (rest > halfway || (rest === halfway && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  const rounded = half + (rest > 0x1000 || (rest === 0x1000 && (half & 1)) ? 1 : 0);
  return sign | rounded; // a carry into the exponent is the correct rounding (up to Infinity)
}

export function float16Tensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  checkDataLength(dims, data.length, `float16Tensor '${name}'`);
  const rawData = new Uint8Array(data.length * 2);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, toFloat16Bits(data[i]), true);
  return { dims: [...dims], dataType: DataType.FLOAT16, name, rawData };
}
