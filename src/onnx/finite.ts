// Finiteness of a model's float constants, checked on load: a NaN anywhere in an initializer or a Constant
// makes every Q-value NaN (argmax then picks action 0 whatever the state), and ±Inf in the weights of a
// Gemm, MatMul or Conv does the same. ±Inf elsewhere is left alone: exporters write it on purpose (a Clip
// bound, a mask added before a max). One OnnxFormatError line names the tensor and the first bad element.
import { describeNode } from './graph.js';
import type { GraphProto, NodeProto, TensorProto } from './proto.js';
import { OnnxFormatError, quoteName } from './schema.js';
import { opFacts } from './ops.js';
import { DataType, formatDims } from './tensor.js';

/** Index and kind of the first NaN (or, with `infinite`, ±Inf) in a float tensor, or null. */
function firstNonFinite(t: TensorProto, infinite: boolean): { index: number; value: string } | null {
  const bad = (v: number) => Number.isNaN(v) || (infinite && !Number.isFinite(v));
  const found = (index: number, v: number) => ({ index, value: Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf' });
  const raw = t.rawData;
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (raw) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        for (let i = 0; i + 4 <= raw.byteLength; i += 4) {
          const v = view.getFloat32(i, true);
          if (bad(v)) return found(i / 4, v);
        }
        return null;
      }
      const values = t.floatData ?? [];
      for (let i = 0; i < values.length; i++) if (bad(values[i])) return found(i, values[i]);
      return null;
    }
    case DataType.DOUBLE: {
      if (raw) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        for (let i = 0; i + 8 <= raw.byteLength; i += 8) {
          const v = view.getFloat64(i, true);
          if (bad(v)) return found(i / 8, v);
        }
        return null;
      }
      const values = t.doubleData ?? [];
      for (let i = 0; i < values.length; i++) if (bad(values[i])) return found(i, values[i]);
      return null;
    }
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      // Both are 16 bits: all-ones exponent is Inf (no mantissa) or NaN.
      const [exponent, mantissa] = t.dataType === DataType.FLOAT16 ? [0x7c00, 0x03ff] : [0x7f80, 0x007f];
      const at = (i: number, bits: number) => {
        if ((bits & exponent) !== exponent) return null;
        const nan = (bits & mantissa) !== 0;
        if (!nan && !infinite) return null;
        return { index: i, value: nan ? 'NaN' : bits & 0x8000 ? '-Inf' : '+Inf' };
      };
      if (raw) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        for (let i = 0; i + 2 <= raw.byteLength; i += 2) {
          const hit = at(i / 2, view.getUint16(i, true));
          if (hit) return hit;
        }
        return null;
      }
      const values = t.int32Data ?? [];
      for (let i = 0; i < values.length; i++) {
        const hit = at(i, values[i]);
        if (hit) return hit;
      }
      return null;
    }
  }
  return null;
}

/** Names of the tensors a Gemm, MatMul or Conv (or their quantized forms) reads, with a node reading each. */
function weightReaders(graph: GraphProto): Map<string, { node: NodeProto; index: number }> {
  const readers = new Map<string, { node: NodeProto; index: number }>();
  graph.node.forEach((node, index) => {
    const kind = opFacts(node.opType)?.kind;
    if (kind !== 'gemm' && kind !== 'matmul' && kind !== 'convolution') return;
    node.input.forEach((name) => {
      if (name && !readers.has(name)) readers.set(name, { node, index });
    });
  });
  return readers;
}

/**
 * Throws OnnxFormatError for a NaN in any float initializer or Constant, and for ±Inf in one that a Gemm,
 * MatMul or Conv reads.
 */
export function checkFinite(graph: GraphProto): void {
  const readers = weightReaders(graph);
  const check = (t: TensorProto, name: string, label: string) => {
    const reader = readers.get(name);
    const hit = firstNonFinite(t, reader !== undefined);
    if (!hit) return;
    const role = reader ? ` (read by ${describeNode(reader.node, reader.index)})` : '';
    throw new OnnxFormatError(`${label}${role} holds ${hit.value} at element ${hit.index} of ${formatDims(t.dims)}; a policy's weights must be finite numbers`);
  };
  for (const t of graph.initializer) check(t, t.name ?? '', `initializer ${quoteName(t.name ?? '')}`);
  graph.node.forEach((node, index) => {
    if (node.opType !== 'Constant') return;
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    if (value) check(value, node.output[0] ?? '', `the value of ${describeNode(node, index)}`);
    const floats = node.attribute.find((a) => a.name === 'value_floats' || a.name === 'value_float');
    const list = floats?.floats ?? (floats?.f !== undefined ? [floats.f] : []);
    const bad = list.findIndex((v) => Number.isNaN(v) || (readers.has(node.output[0] ?? '') && !Number.isFinite(v)));
    if (bad >= 0) throw new OnnxFormatError(`the value of ${describeNode(node, index)} holds ${Number.isNaN(list[bad]) ? 'NaN' : list[bad] > 0 ? '+Inf' : '-Inf'} at element ${bad}; a policy's weights must be finite numbers`);
  });
}
