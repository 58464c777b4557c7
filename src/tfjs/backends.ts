// Training backend selection. `cpu` and `wasm` always exist; `tensorflow`, `tensorflow-gpu` (tfjs-node)
// and `webgpu` (Dawn through the `webgpu` package) are optional peers loaded at run time, so a missing
// one is a clear message with the install command rather than a crash at import.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { UsageError } from '../util/errors.js';
import { vulkanLoaderPresent } from '../util/vulkan.js';
import { installWasmKernelFixes } from './wasm-kernels.js';

import { BACKEND_NAMES, type BackendName } from './backend-names.js';
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

/** A backend that was asked for but cannot run here; the message says why and how to fix it. */
export class BackendUnavailableError extends UsageError {}

const optionalPackages: Partial<Record<ConcreteBackend, { packages: string[]; install: string; note: string }>> = {
  tensorflow: {
    packages: ['@tensorflow/tfjs-node'],
    install: 'npm install @tensorflow/tfjs-node@4.22.0',
    note: 'its install script downloads libtensorflow from storage.googleapis.com',
  },
  'tensorflow-gpu': {
    packages: ['@tensorflow/tfjs-node-gpu'],
    install: 'npm install @tensorflow/tfjs-node-gpu@4.22.0',
    note: 'needs CUDA 11.8 and cuDNN 8.6; its install script downloads libtensorflow from storage.googleapis.com',
  },
  webgpu: {
    packages: ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
    install: 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0',
    note: 'also needs a GPU driver with Vulkan, Metal or D3D12',
  },
};

const require = createRequire(import.meta.url);

export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function missingPackageError(backend: ConcreteBackend): BackendUnavailableError | undefined {
  const info = optionalPackages[backend];
  const missing = info?.packages.filter((p) => !isInstalled(p)) ?? [];
  if (!info || missing.length === 0) return undefined;
  return new BackendUnavailableError(
    `backend '${backend}' needs ${missing.join(' and ')}, which is not installed; install it with \`${info.install}\` (${info.note})`,
  );
}

/** True when the backend's packages are present (it may still fail to start, e.g. webgpu without an adapter). */
export function backendPackagesPresent(backend: ConcreteBackend): boolean {
  return missingPackageError(backend) === undefined;
}

async function setTfBackend(tfName: string, backend: ConcreteBackend): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(tfName);
  } catch (error) {
    throw new BackendUnavailableError(`backend '${backend}' failed to start: ${(error as Error).message}`);
  }
  if (!ok) throw new BackendUnavailableError(`backend '${backend}' failed to start`);
  await tf.ready();
}

async function startWebGpu(): Promise<void> {
  if (!vulkanLoaderPresent()) {
    throw new BackendUnavailableError(
      "backend 'webgpu' found no GPU adapter: there is no Vulkan loader (libvulkan.so.1) on this machine, which Dawn needs on Linux; install the GPU driver and libvulkan1, or use --backend wasm or cpu",
    );
  }
  const webgpu = (await import('webgpu' as string)) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new BackendUnavailableError(
      "backend 'webgpu' found no GPU adapter: Dawn needs a GPU driver with Vulkan, Metal or D3D12 and rejects software renderers; use --backend wasm or cpu here",
    );
  }
  // tfjs-backend-webgpu reads tensors synchronously only through OffscreenCanvas, which Node lacks (seen on an
  // H100): the code that trains on it (DQN, the backend timing, checkpoints) reads asynchronously instead.
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu' as string);
}

/** Makes `backend` the active tfjs backend, or throws BackendUnavailableError saying why it cannot. */
export async function activateBackend(backend: ConcreteBackend): Promise<void> {
  const missing = missingPackageError(backend);
  if (missing) throw missing;
  switch (backend) {
    case 'cpu':
      return setTfBackend('cpu', backend);
    case 'wasm':
      await setTfBackend('wasm', backend);
      installWasmKernelFixes();
      return;
    case 'tensorflow':
      await import('@tensorflow/tfjs-node' as string);
      return setTfBackend('tensorflow', backend);
    case 'tensorflow-gpu':
      await import('@tensorflow/tfjs-node-gpu' as string);
      return setTfBackend('tensorflow', backend);
    case 'webgpu':
      await startWebGpu();
      return setTfBackend('webgpu', backend);
  }
}

export function parseBackendName(value: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new UsageError(`unknown backend '${value}' (choose from ${BACKEND_NAMES.join(', ')})`);
  }
  return value as BackendName;
}

/** Silences tfjs's "install tfjs-node" banner, which is misleading where tfjs-node cannot be installed. */
export function quietTfjs(): void {
  tf.env().set('PROD', true);
}
