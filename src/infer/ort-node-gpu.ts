// The `ort-cuda` and `ort-webgpu` runtimes: onnxruntime-node with its CUDA or WebGPU execution provider.
// Availability is probed once per process with a one-node model, so a missing driver or library is one line
// before any policy is opened. By default a session may not put nodes on the CPU
// (session.disable_cpu_ep_fallback): a result then provably came from the GPU, and a model the GPU cannot run
// whole fails to load, naming the ops that would have fallen back. QDISTILL_PRINT_EP=1 prints where every
// node ran (from onnxruntime's profile).
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { EnvSpec } from '../envs/types.js';
import { makeModel, makeNode, tensorValueInfo } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model.js';
import { DataType } from '../onnx/tensor.js';
import { firstLine, UsageError } from '../util/errors.js';
import { vulkanLoaderPresent } from '../util/vulkan.js';
import { baseSessionOptions } from './ort-node.js';
import { describePlacement, profilePlacement, type Placement } from './ep-placement.js';
import type { Policy } from './policy.js';
import type { Runtime, RuntimeOptions } from './runtime.js';
import { fileObservationShape, sessionPolicy } from './session-policy.js';
import { type PolicyFileInfo } from '../policy/file.js';

export interface GpuRuntimeOptions extends RuntimeOptions {
  /** ort-cuda: the CUDA device ordinal (default 0, or QDISTILL_CUDA_DEVICE). onnxruntime-node's WebGPU EP takes no device id. */
  deviceId?: number;
  /** Let onnxruntime run nodes that have no GPU kernel on the CPU (default false, or QDISTILL_ALLOW_CPU_FALLBACK=1). */
  cpuFallback?: boolean;
}

type GpuProvider = 'cuda' | 'webgpu';

const LABEL: Record<GpuProvider, string> = { cuda: 'CUDA', webgpu: 'WebGPU' };
// npm skips a dependency's install script its project denies (allowScripts), `npm rebuild` included.
const CUDA_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';
const CUDA_ALLOW = 'allow its install script first: "allowScripts": { "onnxruntime-node": true } in package.json';

/** The folder holding onnxruntime-node's native binding (and, when installed, the CUDA EP libraries). */
export function ortNodeBinaryFolder(): string | null {
  const packageRoot = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  const bin = join(packageRoot, 'bin');
  const napi = existsSync(bin) ? readdirSync(bin).filter((name) => name.startsWith('napi-v')).sort() : [];
  for (const version of napi.reverse()) {
    const folder = join(bin, version, process.platform, process.arch);
    if (existsSync(folder)) return folder;
  }
  return null;
}

/** Files the CUDA EP needs beside the binding; onnxruntime-node downloads them at install time only when asked. */
export function missingCudaLibraries(folder: string): string[] {
  const names =
    process.platform === 'win32'
      ? ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll']
      : ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
  return names.filter((name) => !existsSync(join(folder, name)));
}

/** A one-node model (Relu on [1, 4]) that every EP has a kernel for: it starts the EP and nothing else. */
function probeModelBytes(): Uint8Array {
  return encodeModel(
    makeModel({
      graph: {
        name: 'probe',
        node: [makeNode('Relu', ['x'], ['y'], 'relu')],
        input: [tensorValueInfo('x', DataType.FLOAT, [1, 4])],
        output: [tensorValueInfo('y', DataType.FLOAT, [1, 4])],
        initializer: [],
      },
    }),
  );
}

function envFlag(name: string): boolean {
  return ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
}

function cudaDeviceId(options: GpuRuntimeOptions): number {
  const id = options.deviceId ?? (process.env.QDISTILL_CUDA_DEVICE !== undefined ? Number(process.env.QDISTILL_CUDA_DEVICE) : 0);
  if (!Number.isInteger(id) || id < 0) throw new UsageError(`CUDA device id must be a whole number ≥ 0, got ${id}`);
  return id;
}

function sessionOptions(provider: GpuProvider, options: GpuRuntimeOptions, cpuFallback: boolean): ort.InferenceSession.SessionOptions {
  const executionProvider = provider === 'cuda' ? { name: 'cuda' as const, deviceId: cudaDeviceId(options) } : { name: 'webgpu' as const };
  return {
    executionProviders: [executionProvider],
    ...baseSessionOptions(options),
    // onnxruntime-node passes `extra` entries on as session config keys ('session.disable_cpu_ep_fallback').
    extra: cpuFallback ? {} : { session: { disable_cpu_ep_fallback: '1' } },
  };
}

const isFallbackRefusal = (error: unknown) => /fallback to CPU EP has been explicitly disabled/i.test(String((error as Error)?.message));

async function probe(provider: GpuProvider): Promise<string | null> {
  if (!ort.listSupportedBackends().some((backend) => backend.name === provider)) {
    return `this onnxruntime-node build (${process.platform}/${process.arch}) has no ${LABEL[provider]} execution provider`;
  }
  if (provider === 'cuda') {
    if (!(process.platform === 'linux' || process.platform === 'win32') || process.arch !== 'x64') {
      return `onnxruntime-node has CUDA builds only for Linux x64 and Windows x64, not ${process.platform}/${process.arch}`;
    }
    const folder = ortNodeBinaryFolder();
    if (!folder) return 'onnxruntime-node has no native binding for this platform';
    const missing = missingCudaLibraries(folder);
    if (missing.length > 0) {
      return `the CUDA execution provider is not installed (${missing.join(', ')} missing in ${relative(process.cwd(), folder) || folder}); install it with \`${CUDA_INSTALL}\` (${CUDA_ALLOW}; needs an NVIDIA GPU with CUDA 12 and cuDNN 9)`;
    }
  }
  if (provider === 'webgpu' && !vulkanLoaderPresent()) {
    // Without the loader Dawn can only fail, and it prints a native warning on the way: say it without trying.
    return 'no WebGPU adapter: ort-webgpu needs a GPU with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) and its driver (no Vulkan loader libvulkan.so.1 on this machine: apt-get install libvulkan1 and the GPU\'s Vulkan driver)';
  }
  try {
    const session = await ort.InferenceSession.create(probeModelBytes(), { ...sessionOptions(provider, {}, false), logSeverityLevel: 3 });
    await session.run({ x: new ort.Tensor('float32', new Float32Array([-1, 0, 1, 2]), [1, 4]) });
    await session.release();
    return null;
  } catch (error) {
    const message = firstLine(error);
    if (provider === 'webgpu') {
      if (/adapter/i.test(message)) {
        const said = /get a WebGPU adapter:?\s*(.*)$/i.exec(message)?.[1] || 'no adapter';
        return `no WebGPU adapter: ort-webgpu needs a GPU with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) and its driver (onnxruntime: ${said})`;
      }
      return `the WebGPU execution provider did not start: ${message}`;
    }
    return `the CUDA execution provider did not start (it needs an NVIDIA GPU, CUDA 12 and cuDNN 9 on the library path): ${message}`;
  }
}

const probes = new Map<GpuProvider, Promise<string | null>>();

function cachedProbe(provider: GpuProvider): Promise<string | null> {
  let result = probes.get(provider);
  if (!result) probes.set(provider, (result = probe(provider)));
  return result;
}

/** Where the nodes of a policy file run under this runtime's session options (runs the model once). */
export async function gpuPlacement(provider: GpuProvider, bytes: Uint8Array, spec: EnvSpec, info: PolicyFileInfo, options: GpuRuntimeOptions = {}): Promise<Placement> {
  return profilePlacement(bytes, sessionOptions(provider, options, true), { name: info.inputName, dims: [1, ...fileObservationShape(spec, info)] });
}

async function openGpuPolicy(provider: GpuProvider, bytes: Uint8Array, spec: EnvSpec, info: PolicyFileInfo, options: GpuRuntimeOptions): Promise<Policy> {
  const runtimeName = `ort-${provider}`;
  const cpuFallback = options.cpuFallback ?? envFlag('QDISTILL_ALLOW_CPU_FALLBACK');
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions(provider, options, cpuFallback));
  } catch (error) {
    if (!isFallbackRefusal(error)) throw error;
    const onCpu = (await gpuPlacement(provider, bytes, spec, info, options)).CPUExecutionProvider ?? {};
    const ops = Object.entries(onCpu).map(([op, n]) => `${op}×${n}`).join(', ') || 'some nodes';
    throw new UsageError(
      `${runtimeName}: ${ops} of this model have no ${LABEL[provider]} kernel and would run on the CPU; allow that with cpuFallback or QDISTILL_ALLOW_CPU_FALLBACK=1`,
    );
  }
  if (envFlag('QDISTILL_PRINT_EP')) {
    process.stderr.write(`${runtimeName}: ${describePlacement(await gpuPlacement(provider, bytes, spec, info, options))}\n`);
  }
  return sessionPolicy(session, (data, dims) => new ort.Tensor('float32', data, dims), spec, info);
}

function gpuRuntime(provider: GpuProvider, description: string): Runtime {
  return {
    name: `ort-${provider}`,
    description,
    unavailableReason: () => cachedProbe(provider),
    open: (bytes, spec, info, options) => openGpuPolicy(provider, bytes, spec, info, options as GpuRuntimeOptions),
  };
}

export const ortCudaRuntime = gpuRuntime('cuda', 'onnxruntime-node, CUDA execution provider (NVIDIA GPU)');
export const ortWebGpuRuntime = gpuRuntime('webgpu', 'onnxruntime-node, WebGPU execution provider (Dawn: Vulkan, Metal or D3D12)');
