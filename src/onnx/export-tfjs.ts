// tfjs LayersModel → ONNX policy file. Walks the layers in topological order and writes one small group of
// nodes per layer. tfjs computes convolutions in NHWC and ONNX's Conv in NCHW: by default the exported graph
// takes the environment's native HWC observation and transposes once before the first Conv (or takes NCHW
// directly with layout 'nchw'); before Flatten the tensor goes back to NHWC so the flattened element order —
// and therefore the next Dense kernel — is the one tfjs trained with.
import * as tf from '@tensorflow/tfjs';
import type { EnvSpec } from '../envs/types.js';
import { UsageError } from '../util/errors.js';
import { floatAttr, intAttr, intsAttr, makeModel, makeNode, tensorValueInfo } from './graph.js';
import type { ModelProto, NodeProto, TensorProto } from './model.js';
import { DataType, float32Tensor } from './tensor.js';

export interface ExportOptions {
  /** ONNX opset of the default domain: 17 (default) or 13. */
  opset?: 13 | 17;
  /** Dense layers as one Gemm (default) or as MatMul + Add. */
  dense?: 'gemm' | 'matmul';
  /** Image observations: 'native' takes the env's HWC tensor and transposes inside; 'nchw' takes NCHW. */
  layout?: 'native' | 'nchw';
  /** qdistill.* metadata (env, output, layout, card). */
  metadata?: Record<string, string>;
  producerVersion?: string;
  /** Name of the output: 'q_values', or 'logits' for students trained on action distributions. */
  outputName?: 'q_values' | 'logits';
}

/** Where a tfjs tensor lives in the ONNX graph, and whether a rank-4 tensor is stored NHWC or NCHW there. */
interface Placed {
  name: string;
  layout: 'nhwc' | 'nchw' | 'flat';
  /** Shape without the batch dimension, in tfjs's (NHWC) order. */
  shape: number[];
}

class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;

  fresh(base: string): string {
    return `${base}_${this.counter++}`;
  }

  add(op: string, inputs: string[], output: string, attributes: Parameters<typeof makeNode>[4] = []): string {
    this.nodes.push(makeNode(op, inputs, [output], `${op}_${this.nodes.length}`, attributes));
    return output;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(float32Tensor(name, dims, data));
    return name;
  }
}

const ACTIVATIONS: Record<string, (b: GraphBuilder, input: string, output: string, config: Record<string, unknown>) => string> = {
  relu: (b, x, y) => b.add('Relu', [x], y),
  tanh: (b, x, y) => b.add('Tanh', [x], y),
  sigmoid: (b, x, y) => b.add('Sigmoid', [x], y),
  elu: (b, x, y, c) => b.add('Elu', [x], y, [floatAttr('alpha', Number(c.alpha ?? 1))]),
  softmax: (b, x, y) => b.add('Softmax', [x], y, [intAttr('axis', -1)]),
  leakyrelu: (b, x, y, c) => b.add('LeakyRelu', [x], y, [floatAttr('alpha', Number(c.alpha ?? 0.3))]),
};

function applyActivation(b: GraphBuilder, activation: string, input: string, output: string, config: Record<string, unknown> = {}): string {
  if (activation === 'linear') return b.add('Identity', [input], output);
  const write = ACTIVATIONS[activation.toLowerCase()];
  if (!write) throw new UsageError(`cannot export activation '${activation}' to ONNX (supported: linear, ${Object.keys(ACTIVATIONS).join(', ')})`);
  return write(b, input, output, config);
}

function toNchw(b: GraphBuilder, x: Placed): Placed {
  if (x.layout !== 'nhwc') return x;
  return { name: b.add('Transpose', [x.name], b.fresh('to_nchw'), [intsAttr('perm', [0, 3, 1, 2])]), layout: 'nchw', shape: x.shape };
}

function toNhwc(b: GraphBuilder, x: Placed): Placed {
  if (x.layout !== 'nchw') return x;
  return { name: b.add('Transpose', [x.name], b.fresh('to_nhwc'), [intsAttr('perm', [0, 2, 3, 1])]), layout: 'nhwc', shape: x.shape };
}

/** tfjs 'same' padding as explicit ONNX pads [top, left, bottom, right] (TensorFlow puts the odd pixel at the end). */
function samePads(input: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const begin: number[] = [];
  const end: number[] = [];
  input.forEach((size, i) => {
    const effectiveKernel = (kernel[i] - 1) * dilations[i] + 1;
    const out = Math.ceil(size / strides[i]);
    const total = Math.max((out - 1) * strides[i] + effectiveKernel - size, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  });
  return [...begin, ...end];
}

function exportConv2D(b: GraphBuilder, layer: tf.layers.Layer, x: Placed, output: string): Placed {
  const config = layer.getConfig() as { filters: number; kernelSize: number[]; strides: number[]; padding: string; dataFormat: string; dilationRate: number | number[]; activation: string; useBias: boolean };
  if (config.dataFormat !== 'channelsLast') throw new UsageError(`cannot export Conv2D '${layer.name}' with dataFormat ${config.dataFormat}`);
  const [kernel, bias] = layer.getWeights();
  const [kh, kw, cin, cout] = kernel.shape;
  // tfjs [kh, kw, cin, cout] → ONNX [cout, cin, kh, kw]
  const w = b.weight(`${layer.name}.weight`, [cout, cin, kh, kw], tf.transpose(kernel, [3, 2, 0, 1]).dataSync() as Float32Array);
  const inputs = [toNchw(b, x).name, w];
  if (config.useBias && bias) inputs.push(b.weight(`${layer.name}.bias`, [cout], bias.dataSync() as Float32Array));
  const strides = [config.strides].flat();
  const dilations = [config.dilationRate].flat().length === 1 ? [Number(config.dilationRate), Number(config.dilationRate)] : (config.dilationRate as number[]);
  const pads = config.padding === 'same' ? samePads(x.shape.slice(0, 2), [kh, kw], strides, dilations) : [0, 0, 0, 0];
  const conv = b.add('Conv', inputs, b.fresh(`${layer.name}_conv`), [
    intsAttr('kernel_shape', [kh, kw]),
    intsAttr('strides', strides),
    intsAttr('dilations', dilations),
    intsAttr('pads', pads),
  ]);
  const outShape = (layer.outputShape as number[]).slice(1);
  return { name: applyActivation(b, config.activation, conv, output), layout: 'nchw', shape: outShape };
}

function exportDense(b: GraphBuilder, layer: tf.layers.Layer, x: Placed, output: string, options: ExportOptions): Placed {
  if (x.shape.length !== 1) throw new UsageError(`cannot export Dense '${layer.name}' on a rank-${x.shape.length + 1} input; flatten first`);
  const config = layer.getConfig() as { units: number; activation: string; useBias: boolean };
  const [kernel, bias] = layer.getWeights();
  const w = b.weight(`${layer.name}.weight`, kernel.shape, kernel.dataSync() as Float32Array);
  const biasName = config.useBias && bias ? b.weight(`${layer.name}.bias`, [config.units], bias.dataSync() as Float32Array) : undefined;
  const linearOut = config.activation === 'linear' ? output : b.fresh(`${layer.name}_linear`);
  if (options.dense === 'matmul') {
    const product = biasName ? b.fresh(`${layer.name}_matmul`) : linearOut;
    b.add('MatMul', [x.name, w], product);
    if (biasName) b.add('Add', [product, biasName], linearOut);
  } else {
    b.add('Gemm', biasName ? [x.name, w, biasName] : [x.name, w], linearOut, [floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transA', 0), intAttr('transB', 0)]);
  }
  const name = config.activation === 'linear' ? linearOut : applyActivation(b, config.activation, linearOut, output);
  return { name, layout: 'flat', shape: [config.units] };
}

function exportDueling(b: GraphBuilder, inputs: Placed[], output: string): Placed {
  const [value, advantage] = inputs;
  const mean = b.add('ReduceMean', [advantage.name], b.fresh('advantage_mean'), [intsAttr('axes', [1]), intAttr('keepdims', 1)]);
  const centred = b.add('Sub', [advantage.name, mean], b.fresh('advantage_centred'));
  return { name: b.add('Add', [value.name, centred], output), layout: 'flat', shape: advantage.shape };
}

function singleInput(inputs: Placed[], layer: tf.layers.Layer): Placed {
  if (inputs.length !== 1) throw new UsageError(`cannot export layer '${layer.name}' with ${inputs.length} inputs`);
  return inputs[0];
}

export function tfjsToOnnx(model: tf.LayersModel, spec: EnvSpec, options: ExportOptions = {}): ModelProto {
  const b = new GraphBuilder();
  const outputName = options.outputName ?? 'q_values';
  const imageInput = spec.observationShape.length === 3;
  const nchwInput = imageInput && options.layout === 'nchw';
  const placed = new Map<string, Placed>();
  const outputTensor = model.outputs[0].name;
  const [h, w, c] = spec.observationShape;
  const inputDims = nchwInput ? ['batch', c, h, w] : ['batch', ...spec.observationShape];
  placed.set(model.inputs[0].name, { name: 'obs', layout: nchwInput ? 'nchw' : imageInput ? 'nhwc' : 'flat', shape: spec.observationShape });

  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const inputs = [layer.input].flat().map((t) => {
      const p = placed.get((t as tf.SymbolicTensor).name);
      if (!p) throw new Error(`layer '${layer.name}' reads a tensor that was not exported`);
      return p;
    });
    const outSymbol = (layer.output as tf.SymbolicTensor).name;
    const output = outSymbol === outputTensor ? outputName : b.fresh(layer.name);
    const config = layer.getConfig() as Record<string, unknown>;
    let result: Placed;
    switch (className) {
      case 'Dense':
        result = exportDense(b, layer, singleInput(inputs, layer), output, options);
        break;
      case 'Conv2D':
        result = exportConv2D(b, layer, singleInput(inputs, layer), output);
        break;
      case 'Flatten': {
        const x = toNhwc(b, singleInput(inputs, layer));
        result = { name: b.add('Flatten', [x.name], output, [intAttr('axis', 1)]), layout: 'flat', shape: [x.shape.reduce((p, q) => p * q, 1)] };
        break;
      }
      case 'Activation':
        result = { ...singleInput(inputs, layer), name: applyActivation(b, String(config.activation), singleInput(inputs, layer).name, output) };
        break;
      case 'ReLU':
      case 'ELU':
      case 'LeakyReLU':
      case 'Softmax':
        result = { ...singleInput(inputs, layer), name: applyActivation(b, className === 'ReLU' ? 'relu' : className.toLowerCase(), singleInput(inputs, layer).name, output, config) };
        break;
      case 'Dropout':
        result = { ...singleInput(inputs, layer), name: b.add('Identity', [singleInput(inputs, layer).name], output) };
        break;
      case 'DuelingCombine':
        result = exportDueling(b, inputs, output);
        break;
      default:
        throw new UsageError(`cannot export layer '${layer.name}' of type ${className} to ONNX`);
    }
    placed.set(outSymbol, result);
  }
  if (!placed.has(outputTensor)) throw new UsageError('the model output was not reached while exporting');
  return makeModel({
    graph: {
      name: model.name,
      node: b.nodes,
      initializer: b.initializers,
      input: [tensorValueInfo('obs', DataType.FLOAT, inputDims)],
      output: [tensorValueInfo(outputName, DataType.FLOAT, ['batch', spec.actionCount])],
    },
    opset: options.opset ?? 17,
    producerName: 'qdistill',
    producerVersion: options.producerVersion,
    metadata: options.metadata ?? {},
  });
}
