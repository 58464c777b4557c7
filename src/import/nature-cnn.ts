// Stable-Baselines3's NatureCNN features extractor (the CnnPolicy default of DQN and QR-DQN) read from a
// state dict, and its ONNX nodes. SB3 builds it as cnn = Conv(C→32, 8×8, stride 4) ReLU Conv(32→64, 4×4,
// stride 2) ReLU Conv(64→64, 3×3, stride 1) ReLU Flatten (no padding), then linear = Linear(n_flatten →
// features_dim) ReLU. The state dict holds kernel sizes and channels but not strides or padding, so only a
// network whose tensors have exactly NatureCNN's shapes is taken as one; anything else is refused by name.
import { intAttr, intsAttr, makeNode } from '../onnx/graph.js';
import type { NodeProto, TensorProto } from '../onnx/model.js';
import { float32Tensor } from '../onnx/tensor.js';
import { UsageError } from '../util/errors.js';
import type { LinearLayer } from './mlp.js';
import type { Tensor } from './torch-checkpoint.js';

/** One convolution: weight [out, in, kernel, kernel] row-major, bias [out], no padding, no dilation. */
export interface ConvLayer {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** A NatureCNN read from a state dict, for images of `imageShape` ([C, H, W], channel first). */
export interface NatureCnn {
  convs: ConvLayer[];
  /** linear.0: n_flatten → features_dim, followed by ReLU. */
  linear: LinearLayer;
  imageShape: [number, number, number];
  /** The last convolution's output [64, h, w]; n_flatten is its product. */
  featureMap: [number, number, number];
}

/** NatureCNN's convolutions as SB3 builds them (index in nn.Sequential, output channels, kernel, stride). */
const CONVS = [
  { index: 0, out: 32, kernel: 8, stride: 4 },
  { index: 2, out: 64, kernel: 4, stride: 2 },
  { index: 4, out: 64, kernel: 3, stride: 1 },
] as const;

const GEOMETRY = CONVS.map((c) => `${c.kernel}×${c.kernel} stride ${c.stride}`).join(', ');

/** The tensor names NatureCNN has under its prefix. */
const NAMES = [...CONVS.flatMap((c) => [`cnn.${c.index}.weight`, `cnn.${c.index}.bias`]), 'linear.0.weight', 'linear.0.bias'];

const shown = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * The NatureCNN under `prefix` (e.g. 'q_net.features_extractor.') for images of `imageShape` [C, H, W].
 * UsageError (one line) for a tensor NatureCNN does not have, a shape it does not have, or images its
 * convolutions do not fit.
 */
export function natureCnn(tensors: Map<string, Tensor>, prefix: string, imageShape: readonly number[], where: string): NatureCnn {
  for (const name of tensors.keys()) {
    if (name.startsWith(prefix) && !NAMES.includes(name.slice(prefix.length))) {
      throw new UsageError(`tensor '${name}' is not part of SB3's NatureCNN (cnn.0/2/4, linear.0); qdistill imports NatureCNN features extractors only`, where);
    }
  }
  const get = (name: string): Tensor => {
    const t = tensors.get(prefix + name);
    if (!t) throw new UsageError(`the features extractor has no '${prefix}${name}'; SB3's NatureCNN has cnn.0/2/4 and linear.0`, where);
    return t;
  };
  if (imageShape.length !== 3) throw new UsageError(`a NatureCNN takes images [C, H, W], but the observations are ${shown(imageShape)}`, where);
  const [channels, height, width] = imageShape;
  let size = [channels, height, width];
  const convs: ConvLayer[] = CONVS.map((c) => {
    const name = `${prefix}cnn.${c.index}`;
    const w = get(`cnn.${c.index}.weight`);
    const b = get(`cnn.${c.index}.bias`);
    const expected = [c.out, size[0], c.kernel, c.kernel];
    if (w.shape.length !== 4 || w.shape.some((d, i) => d !== expected[i])) {
      throw new UsageError(`tensor '${name}.weight' has shape ${shown(w.shape)}, but NatureCNN's has ${shown(expected)} on ${shown(imageShape)} images; a custom CNN (its strides are not in the state dict) is not imported`, where);
    }
    if (b.shape.length !== 1 || b.shape[0] !== c.out) throw new UsageError(`tensor '${name}.bias' has shape ${shown(b.shape)}, not [${c.out}]`, where);
    const out = size.slice(1).map((d) => Math.floor((d - c.kernel) / c.stride) + 1);
    if (out.some((d) => d < 1)) {
      throw new UsageError(`NatureCNN's convolutions (${GEOMETRY}) do not fit ${shown(imageShape)} images: the ${c.kernel}×${c.kernel} one gets ${size[1]}×${size[2]}`, where);
    }
    const layer = { name, inChannels: size[0], outChannels: c.out, kernel: c.kernel, stride: c.stride, weight: w.data, bias: b.data };
    size = [c.out, ...out];
    return layer;
  });
  const flatten = size[0] * size[1] * size[2];
  const lw = get('linear.0.weight');
  const lb = get('linear.0.bias');
  if (lw.shape.length !== 2 || lw.shape[1] !== flatten) {
    throw new UsageError(`tensor '${prefix}linear.0.weight' has shape ${shown(lw.shape)}, but NatureCNN on ${shown(imageShape)} images gives ${flatten} features (${shown(size)}) to it`, where);
  }
  if (lb.shape.length !== 1 || lb.shape[0] !== lw.shape[0]) throw new UsageError(`tensor '${prefix}linear.0.bias' has shape ${shown(lb.shape)}, not [${lw.shape[0]}]`, where);
  return {
    convs,
    linear: { name: `${prefix}linear.0`, inputs: flatten, outputs: lw.shape[0], weight: lw.data, bias: lb.data },
    imageShape: [channels, height, width],
    featureMap: size as [number, number, number],
  };
}

/** Parameters of the CNN (convolutions and the linear layer). */
export function natureCnnParameters(cnn: NatureCnn): number {
  return cnn.convs.reduce((a, c) => a + c.weight.length + c.bias.length, 0) + cnn.linear.weight.length + cnn.linear.bias.length;
}

/** The CNN as cards name it: channels of each convolution, then the features, e.g. 'conv32-64-64-512'. */
export function natureCnnName(cnn: NatureCnn): string {
  return `conv${cnn.convs.map((c) => c.outChannels).join('-')}-${cnn.linear.outputs}`;
}

/** The CNN's nodes from `input` (NCHW float) to 'features' [batch, features_dim]: Conv/Relu ×3, Flatten, Gemm, Relu. */
export function natureCnnNodes(cnn: NatureCnn, input: string): { nodes: NodeProto[]; initializers: TensorProto[]; output: string } {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let x = input;
  cnn.convs.forEach((c, i) => {
    initializers.push(float32Tensor(`cnn${i}.weight`, [c.outChannels, c.inChannels, c.kernel, c.kernel], c.weight), float32Tensor(`cnn${i}.bias`, [c.outChannels], c.bias));
    nodes.push(makeNode('Conv', [x, `cnn${i}.weight`, `cnn${i}.bias`], [`cnn${i}.out`], `conv${i}`, [intsAttr('kernel_shape', [c.kernel, c.kernel]), intsAttr('strides', [c.stride, c.stride])]));
    nodes.push(makeNode('Relu', [`cnn${i}.out`], [`cnn${i}.act`], `cnn_relu${i}`));
    x = `cnn${i}.act`;
  });
  nodes.push(makeNode('Flatten', [x], ['cnn.flat'], 'cnn_flatten', [intAttr('axis', 1)]));
  const l = cnn.linear;
  initializers.push(float32Tensor('linear.weight', [l.outputs, l.inputs], l.weight), float32Tensor('linear.bias', [l.outputs], l.bias));
  nodes.push(makeNode('Gemm', ['cnn.flat', 'linear.weight', 'linear.bias'], ['linear.out'], 'linear', [intAttr('transB', 1)]));
  nodes.push(makeNode('Relu', ['linear.out'], ['features'], 'linear_relu'));
  return { nodes, initializers, output: 'features' };
}
