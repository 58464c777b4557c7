// Two gaps in tfjs-backend-wasm 4.22 that DQN training hits, patched when the wasm backend is selected.
//
// 1. It runs BatchMatMul and _FusedMatMul ten times slower when asked to transpose an
// operand (measured here: 128×256 · 256×256 takes 0.7 ms plain, 7 ms with transposeB, 10 ms with
// transposeA). Every Dense layer's backward pass asks for exactly that. Transposing the operand first with
// the wasm Transpose kernel (0.1 ms) and multiplying without flags gives the same numbers.
// 2. It has no Conv2DBackpropFilter, so a conv network cannot train (the cpu backend takes 255 ms per MinAtar
// step). A 2-D conv is a 3-D conv of depth 1, and wasm has Conv3DBackpropFilterV2: we register the 2-D
// kernel on top of it for NHWC, stride 1, dilation 1, 'valid'/'same' padding. (Its results for stride > 1
// disagree with cpu's — an upstream bug seen here — so strided convs are refused.) Refused cases make the
// gradient check in choose-backend.ts send that network to cpu.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

let installed = false;
let enabled = true;

/** Turns the rewrite off and on again (benchmarks compare both). */
export function setWasmTransposeFix(on: boolean): void {
  enabled = on;
}

export function installWasmKernelFixes(): void {
  if (installed) return;
  installed = true;
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(kernelName, 'wasm');
    const transpose = tf.getKernel('Transpose', 'wasm');
    if (!original || !transpose) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args: KernelArgs) => {
        const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
        if (!enabled || (!attrs.transposeA && !attrs.transposeB)) return original.kernelFunc(args);
        const inputs = { ...(args.inputs as Record<string, tf.TensorInfo>) };
        const temporaries: tf.TensorInfo[] = [];
        for (const [name, flag] of [['a', attrs.transposeA], ['b', attrs.transposeB]] as const) {
          if (!flag) continue;
          const x = inputs[name];
          const perm = x.shape.map((_, i) => i);
          [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
          const transposed = transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
          temporaries.push(transposed);
          inputs[name] = transposed;
        }
        const result = original.kernelFunc({
          ...args,
          inputs,
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        });
        for (const t of temporaries) (args.backend as unknown as WasmBackendLike).disposeData(t.dataId);
        return result;
      },
    });
  }
  registerConv2DBackpropFilter();
}

function registerConv2DBackpropFilter(): void {
  const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
  const reshape = tf.getKernel('Reshape', 'wasm');
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') || !conv3d || !reshape) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const attrs = args.attrs as { strides: number | [number, number]; pad: unknown; dataFormat: string; dilations?: number | number[]; filterShape: number[] };
      const dilations = [attrs.dilations ?? 1].flat();
      const [strideHeight, strideWidth] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
      if (attrs.dataFormat !== 'NHWC' || typeof attrs.pad !== 'string' || dilations.some((d) => d !== 1) || strideHeight !== 1 || strideWidth !== 1) {
        throw new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm' with these attributes");
      }
      const asDepthOne = (t: tf.TensorInfo) =>
        reshape.kernelFunc({ inputs: { x: t }, backend: args.backend, attrs: { shape: [t.shape[0], 1, ...t.shape.slice(1)] } }) as tf.TensorInfo;
      const x5 = asDepthOne(x);
      const dy5 = asDepthOne(dy);
      const dw = conv3d.kernelFunc({
        inputs: { x: x5, dy: dy5 },
        backend: args.backend,
        attrs: { strides: [1, 1, 1], pad: attrs.pad, filterShape: [1, ...attrs.filterShape] },
      }) as tf.TensorInfo;
      for (const t of [x5, dy5]) (args.backend as unknown as WasmBackendLike).disposeData(t.dataId);
      dw.shape = attrs.filterShape;
      return dw;
    },
  });
}
