// The Shape → Gather → Unsqueeze → Concat → Reshape chain torch.onnx writes for x.view(x.size(0), -1).
// Needs initializers 'zero' (int64 scalar 0) and an int64 [0] axes tensor named by `axes`.
import { intAttr, makeNode, tensorAttr } from '../../src/onnx/graph.js';
import type { NodeProto } from '../../src/onnx/model.js';
import { int64Tensor } from '../../src/onnx/tensor.js';

export function torchFlatten(input: string, output: string, axes = 'axes'): NodeProto[] {
  return [
    makeNode('Shape', [input], ['shape'], 'shape'),
    makeNode('Gather', ['shape', 'zero'], ['batch'], 'gather', [intAttr('axis', 0)]),
    makeNode('Unsqueeze', ['batch', axes], ['batch1'], 'unsqueeze'),
    makeNode('Constant', [], ['minus1'], 'minus1', [tensorAttr('value', int64Tensor('minus1', [1], [-1]))]),
    makeNode('Concat', ['batch1', 'minus1'], ['flat_shape'], 'concat', [intAttr('axis', 0)]),
    makeNode('Reshape', [input, 'flat_shape'], [output], 'reshape'),
  ];
}
