// `fp16`: float32 initializers are stored as float16 and cast back to float32 where they are read, so the
// file halves while inputs, outputs and all arithmetic stay float32 — correct on every op and runtime (CPU
// execution providers have few float16 kernels, so float16 compute would not be faster here anyway).
import { intAttr, makeNode } from '../onnx/graph.js';
import { DataType, float16Tensor, tensorToFloat32 } from '../onnx/tensor.js';
import type { Pass } from './pass.js';

export const fp16Pass: Pass<Record<string, never>> = {
  name: 'fp16',
  rewriters: {},
  before: (editor) => {
    const changes: string[] = [];
    const casts = [];
    for (const weight of [...editor.initializers.values()]) {
      if (weight.dataType !== DataType.FLOAT) continue;
      const name = weight.name ?? '';
      const half = `${editor.fresh(name)}_fp16`;
      editor.removeInitializer(name);
      editor.addInitializer(float16Tensor(half, weight.dims, tensorToFloat32(weight)));
      // The Cast's output takes the initializer's name, so every reader stays as it is.
      casts.push(makeNode('Cast', [half], [name], `${half}_Cast`, [intAttr('to', DataType.FLOAT)]));
      changes.push(`'${name}' ${weight.dims.join('×') || 'scalar'} → float16`);
    }
    editor.insertBefore(editor.nodes[0], casts);
    return changes;
  },
};
