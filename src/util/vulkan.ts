// Dawn (inside onnxruntime-node's WebGPU EP and the `webgpu` package for tfjs) reaches a GPU on Linux through
// the Vulkan loader. Without libvulkan.so.1 it can only fail, printing native warnings on the way, so both
// WebGPU paths ask here first.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether the dynamic loader can find libvulkan.so.1; always true off Linux (Metal, D3D12 are tried there). */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  if (dirs.some((dir) => dir && existsSync(join(dir, 'libvulkan.so.1')))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1'); // directories from /etc/ld.so.conf.d
  } catch {
    return false;
  }
}
