// tfjs-backend-wasm 4.22 runs BatchMatMul and _FusedMatMul ten times slower when asked to transpose an
// operand (measured here: 128×256 · 256×256 takes 0.7 ms plain, 7 ms with transposeB, 10 ms with
// transposeA). Every Dense layer's backward pass asks for exactly that. Transposing the operand first with
// the wasm Transpose kernel (0.1 ms) and multiplying without flags gives the same numbers, so we wrap the
// two kernels once when the wasm backend is selected.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

let installed = false;

export function installWasmTransposeFix(): void {
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
        if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
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
}
