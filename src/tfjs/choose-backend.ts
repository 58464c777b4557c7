// `--backend auto` and the wasm kernel check. tfjs-node (GPU first) wins when installed. Otherwise every
// backend that can start here is timed on the real network and loss, and wasm is used only where its
// gradients match cpu's — per network, since a missing or wrong kernel depends on the layers used.
import * as tf from '@tensorflow/tfjs';
import { activateBackend, backendPackagesPresent, BackendUnavailableError, type ConcreteBackend } from './backends.js';
import { type BackendName } from './backend-names.js';

export interface TrainingProbe {
  /** Builds the network on the active backend (same seed → same initial weights). */
  build(): tf.LayersModel;
  /** The training loss on a fixed batch. */
  loss(model: tf.LayersModel): tf.Scalar;
}

export interface BackendChoice {
  backend: ConcreteBackend;
  /** Why this backend, in one line, printed at start. */
  reason: string;
  /** Milliseconds per gradient step, for each backend timed. */
  msPerStep: Partial<Record<ConcreteBackend, number>>;
  /** Largest |grad_wasm − grad_cpu| relative to the largest |grad_cpu|, when wasm was checked. */
  wasmGradientError?: number;
}

const GRADIENT_TOLERANCE = 1e-4;

function gradients(model: tf.LayersModel, probe: TrainingProbe): Float32Array[] {
  return tf.tidy(() => {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => probe.loss(model), variables);
    return variables.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

/** Compares wasm's gradients to cpu's from identical weights; returns the relative error, or Infinity if a kernel is missing. */
export async function checkWasmGradients(probe: TrainingProbe): Promise<number> {
  await activateBackend('cpu');
  const reference = probe.build();
  const weights = reference.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync().slice() }));
  const expected = gradients(reference, probe);
  reference.dispose();
  await activateBackend('wasm');
  const candidate = probe.build();
  try {
    candidate.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
    const actual = gradients(candidate, probe);
    let scale = 0;
    let worst = 0;
    expected.forEach((e, i) => {
      for (let j = 0; j < e.length; j++) {
        scale = Math.max(scale, Math.abs(e[j]));
        worst = Math.max(worst, Math.abs(e[j] - actual[i][j]));
      }
    });
    return worst / Math.max(scale, 1e-12);
  } catch {
    return Infinity; // a kernel the network needs is not registered for wasm
  } finally {
    candidate.dispose();
  }
}

/** Milliseconds per Adam step on the active backend (warm-up first, then at least 5 steps or 0.5 s). */
export async function timeGradientStep(probe: TrainingProbe): Promise<number> {
  const model = probe.build();
  const optimizer = tf.train.adam(1e-4);
  const step = () => tf.tidy(() => {
    optimizer.minimize(() => probe.loss(model), false);
  });
  for (let i = 0; i < 3; i++) step();
  await model.getWeights()[0].data();
  let steps = 0;
  const start = performance.now();
  while (steps < 5 || (performance.now() - start < 500 && steps < 200)) {
    step();
    steps++;
  }
  await model.getWeights()[0].data(); // wait for asynchronous backends (read asynchronously: webgpu cannot read synchronously in Node)
  const ms = (performance.now() - start) / steps;
  optimizer.dispose();
  model.dispose();
  return ms;
}

async function tryActivate(backend: ConcreteBackend): Promise<boolean> {
  try {
    await activateBackend(backend);
    return true;
  } catch (error) {
    if (error instanceof BackendUnavailableError) return false;
    throw error;
  }
}

export async function chooseBackend(requested: BackendName, probe: TrainingProbe): Promise<BackendChoice> {
  if (requested !== 'auto' && requested !== 'wasm') {
    await activateBackend(requested);
    return { backend: requested, reason: 'requested', msPerStep: {} };
  }
  if (requested === 'auto') {
    for (const native of ['tensorflow-gpu', 'tensorflow'] as const) {
      if (backendPackagesPresent(native) && (await tryActivate(native))) {
        return { backend: native, reason: 'auto: tfjs-node is installed', msPerStep: {} };
      }
    }
  }
  const wasmGradientError = await checkWasmGradients(probe);
  const wasmOk = wasmGradientError <= GRADIENT_TOLERANCE;
  if (requested === 'wasm') {
    if (wasmOk) {
      await activateBackend('wasm');
      return { backend: 'wasm', reason: 'requested; gradients match cpu', msPerStep: {}, wasmGradientError };
    }
    await activateBackend('cpu');
    return {
      backend: 'cpu',
      reason: `requested wasm, but its gradients differ from cpu's for this network (relative error ${wasmGradientError.toExponential(1)}): falling back to cpu`,
      msPerStep: {},
      wasmGradientError,
    };
  }
  const candidates: ConcreteBackend[] = ['cpu', ...(wasmOk ? (['wasm'] as const) : []), ...(backendPackagesPresent('webgpu') ? (['webgpu'] as const) : [])];
  const msPerStep: Partial<Record<ConcreteBackend, number>> = {};
  const unavailable: ConcreteBackend[] = (['tensorflow-gpu', 'tensorflow', 'webgpu'] as const).filter((b) => !backendPackagesPresent(b));
  for (const backend of candidates) {
    if (await tryActivate(backend)) msPerStep[backend] = await timeGradientStep(probe);
    else unavailable.push(backend);
  }
  const fastest = (Object.entries(msPerStep) as [ConcreteBackend, number][]).sort((a, b) => a[1] - b[1])[0][0];
  await activateBackend(fastest);
  const timings = Object.entries(msPerStep).map(([b, ms]) => `${b} ${ms.toFixed(2)} ms/step`).join(', ');
  const notes = [...(wasmOk ? [] : ['wasm skipped: its gradients differ from cpu']), ...(unavailable.length ? [`not available here: ${unavailable.join(', ')}`] : [])];
  return { backend: fastest, reason: [`auto: fastest here (${timings})`, ...notes].join('; '), msPerStep, wasmGradientError };
}
