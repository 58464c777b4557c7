// Time of one DQN gradient step (Adam, the preset's batch size) of each teacher network on each tfjs
// backend that starts here, plus wasm without the transpose fix as the baseline it replaces.
// Usage: node --import tsx bench/backends.ts [envId...]   → JSON on stdout
import * as tf from '@tensorflow/tfjs';
import { envIds } from '../src/envs/registry.js';
import { presetFor } from '../src/rl/presets.js';
import { makeTrainingProbe } from '../src/rl/probe.js';
import { activateBackend, BackendUnavailableError, quietTfjs, type ConcreteBackend } from '../src/tfjs/backends.js';
import { checkWasmGradients, timeGradientStep } from '../src/tfjs/choose-backend.js';
import { setWasmTransposeFix } from '../src/tfjs/wasm-kernels.js';

quietTfjs();
const envs = process.argv.slice(2).length ? process.argv.slice(2) : envIds();
const backends: ConcreteBackend[] = ['cpu', 'wasm', 'webgpu', 'tensorflow', 'tensorflow-gpu'];
const results = [];
for (const envId of envs) {
  const config = presetFor(envId);
  const probe = makeTrainingProbe(envId, config, 1);
  const row: Record<string, unknown> = { env: envId, net: config.netArch, convFilters: config.convFilters, batch: config.batchSize };
  row.wasmGradientRelativeError = await checkWasmGradients(probe);
  if (!Number.isFinite(row.wasmGradientRelativeError)) row.wasmGradientRelativeError = null;
  const wasmUsable = row.wasmGradientRelativeError !== null && (row.wasmGradientRelativeError as number) <= 1e-4;
  for (const backend of backends) {
    if (backend === 'wasm' && !wasmUsable) {
      row.wasm_ms = null;
      row.wasm_unavailable = 'a kernel the gradient needs is missing or disagrees with cpu';
      continue;
    }
    try {
      await activateBackend(backend);
      // median of 3 timings, each ≥ 0.5 s
      const times = [await timeGradientStep(probe), await timeGradientStep(probe), await timeGradientStep(probe)].sort((a, b) => a - b);
      row[`${backend}_ms`] = Number(times[1].toFixed(3));
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      row[`${backend}_ms`] = null;
      row[`${backend}_unavailable`] = error.message;
    }
  }
  if (wasmUsable) {
    await activateBackend('wasm');
    setWasmTransposeFix(false);
    row.wasm_without_transpose_fix_ms = Number((await timeGradientStep(probe)).toFixed(3));
    setWasmTransposeFix(true);
  }
  results.push(row);
  process.stderr.write(`${envId} done\n`);
}
process.stdout.write(JSON.stringify({ machine: `${(await import('node:os')).cpus().length} cores`, tfjs: tf.version.tfjs, results }, null, 2) + '\n');
