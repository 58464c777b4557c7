// Which execution provider ran each node of a model in onnxruntime-node: read from onnxruntime's own profile
// (every node event carries `provider` and `op_name`), because a GPU session may quietly put nodes the GPU
// has no kernel for on the CPU. Used to prove that ort-cuda / ort-webgpu really ran on the GPU
// (QDISTILL_PRINT_EP=1) and to name the nodes that would fall back.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** provider name → op type → how many nodes of that op it ran. */
export type Placement = Record<string, Record<string, number>>;

interface ProfileEvent {
  cat?: string;
  args?: { provider?: string; op_name?: string };
}

export function placementFromProfile(events: ProfileEvent[]): Placement {
  const placement: Placement = {};
  for (const event of events) {
    const { provider, op_name: op } = event.args ?? {};
    if (event.cat !== 'Node' || !provider || !op) continue;
    placement[provider] ??= {};
    placement[provider][op] = (placement[provider][op] ?? 0) + 1;
  }
  return placement;
}

/**
 * Runs the model once on zeros with profiling on and reports where its nodes ran. The profile goes to a
 * temporary folder that is removed afterwards.
 */
export async function profilePlacement(
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  input: { name: string; dims: number[] },
): Promise<Placement> {
  const dir = mkdtempSync(join(tmpdir(), 'qdistill-profile-'));
  try {
    const session = await ort.InferenceSession.create(bytes, { ...options, enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    try {
      const size = input.dims.reduce((a, b) => a * b, 1);
      await session.run({ [input.name]: new ort.Tensor('float32', new Float32Array(size), input.dims) });
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    return placementFromProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "WebGpuExecutionProvider: Gemm×3, Relu×2; CPUExecutionProvider: Shape×1" */
export function describePlacement(placement: Placement): string {
  const providers = Object.entries(placement);
  if (providers.length === 0) return 'no nodes ran';
  return providers
    .map(([provider, ops]) => `${provider}: ${Object.entries(ops).map(([op, n]) => `${op}×${n}`).join(', ')}`)
    .join('; ');
}
