// One conformance test for every runtime in RUNTIME_REGISTRY. Available runtimes must give onnxruntime-node's
// outputs (a plain CPU session on the file itself, fed the layout the file declares) on four kinds of policy
// file; unavailable ones must refuse with a one-line UsageError that names the runtime and the reason.
// On a machine without a GPU, ort-cuda, ort-webgpu and the browser's webgpu backend land in the second group
// with their own messages; on a machine with one, the same checks run on them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import * as ort from 'onnxruntime-node';
import { runPass } from '../../src/compress/pass.js';
import { dynamicQuantizationPass } from '../../src/compress/quantize-dynamic.js';
import { envSpec } from '../../src/envs/registry.js';
import { Rng } from '../../src/envs/rng.js';
import type { BrowserPolicy } from '../../src/infer/browser.js';
import { profilePlacement } from '../../src/infer/ep-placement.js';
import { openPolicy, RUNTIME_REGISTRY, type OpenOptions } from '../../src/infer/open.js';
import { gpuPlacement, type GpuRuntimeOptions } from '../../src/infer/ort-node-gpu.js';
import { type Policy } from '../../src/infer/policy.js';
import { inspectModel } from '../../src/onnx/inspect.js';
import { decodeModel, encodeModel } from '../../src/onnx/model.js';
import { UsageError } from '../../src/util/errors.js';
import { argmax } from '../../src/policy/agreement.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-conformance-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  file: string;
  env: string;
  /** The environment named by the file's metadata (null for files from elsewhere). */
  metadataEnv: string | null;
  layout: 'native' | 'nchw';
  output: 'q_values' | 'logits';
  /** Quantized ops (MatMulInteger…) that GPU EPs may lack: GPU runtimes run this one with CPU fallback allowed. */
  int8?: boolean;
  /** A runtime without kernels for these ops may decline the file, in one line that names the op. */
  mayDecline?: RegExp;
}

const INT8_FILE = join(dir, 'lunarlander-64x64-dynamic-int8.onnx');
const CASES: Case[] = [
  { name: 'CartPole 16-16 student', file: 'models/cartpole-v1-student-16x16/student.onnx', env: 'CartPole-v1', metadataEnv: 'CartPole-v1', layout: 'native', output: 'logits' },
  { name: 'Breakout teacher (HWC input)', file: 'models/minatar-breakout/teacher.onnx', env: 'MinAtar/Breakout', metadataEnv: 'MinAtar/Breakout', layout: 'native', output: 'q_values' },
  { name: 'PyTorch CNN (NCHW input, no metadata)', file: 'models/pytorch/minatar-breakout-cnn.onnx', env: 'MinAtar/Breakout', metadataEnv: null, layout: 'nchw', output: 'q_values' },
  { name: 'LunarLander 64-64 student, dynamic int8', file: INT8_FILE, env: 'LunarLander-v3', metadataEnv: 'LunarLander-v3', layout: 'native', output: 'logits', int8: true, mayDecline: /DynamicQuantizeLinear|MatMulInteger/ },
];

before(() => {
  const source = 'models/lunarlander-v3-student-64x64/student.onnx';
  const { model } = runPass(dynamicQuantizationPass, decodeModel(readFileSync(source), source), { perChannel: false, keepInputLayer: true });
  assert.ok(inspectModel(model).opHistogram.MatMulInteger >= 1);
  writeFileSync(INT8_FILE, encodeModel(model));
});

const BATCH = 64;

function observations(envId: string, count: number): Float32Array {
  const size = envSpec(envId).observationShape.reduce((a, b) => a * b, 1);
  const rng = new Rng(11);
  return Float32Array.from({ length: count * size }, () => (envId.startsWith('MinAtar') ? Number(rng.random() < 0.2) : rng.normal()));
}

/** NCHW from HWC written out index by index (kept apart from the runtime's own conversion on purpose). */
function nchwOf(hwc: Float32Array, batch: number, [h, w, c]: number[]): Float32Array {
  const out = new Float32Array(hwc.length);
  for (let i = 0; i < hwc.length; i++) {
    const n = Math.floor(i / (h * w * c));
    const rest = i % (h * w * c);
    const y = Math.floor(rest / (w * c));
    const x = Math.floor((rest % (w * c)) / c);
    const ch = rest % c;
    out[n * h * w * c + ch * h * w + y * w + x] = hwc[i];
  }
  return out;
}

/** The reference: onnxruntime-node's CPU EP on the file, fed the tensor the file itself declares. */
async function referenceOutputs(c: Case, obs: Float32Array, batch: number): Promise<Float32Array> {
  const shape = envSpec(c.env).observationShape;
  const session = await ort.InferenceSession.create(readFileSync(c.file), { executionProviders: ['cpu'] });
  const input = c.layout === 'nchw' ? nchwOf(obs, batch, shape) : obs;
  const dims = c.layout === 'nchw' ? [batch, shape[2], shape[0], shape[1]] : [batch, ...shape];
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
  await session.release();
  return result[session.outputNames[0]].data as Float32Array;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: output length`);
  const scale = Math.max(1, ...expected.map(Math.abs));
  const worst = actual.reduce((w, v, i) => Math.max(w, Math.abs(v - expected[i])), 0);
  assert.ok(worst <= 1e-4 * scale, `${what}: max |difference| ${worst} with outputs up to ${scale}`);
}

async function conforms(t: TestContext, policy: Policy, c: Case): Promise<void> {
  const spec = envSpec(c.env);
  assert.equal(policy.spec.id, c.env);
  assert.equal(policy.spec.actionCount, spec.actionCount);
  assert.deepEqual(policy.spec.observationShape, spec.observationShape);
  assert.equal(policy.info.env, c.metadataEnv);
  assert.equal(policy.info.inputLayout, c.layout);
  assert.equal(policy.info.output, c.output);

  const obs = observations(c.env, BATCH);
  const expected = await referenceOutputs(c, obs, BATCH);
  const batched = await policy.qValues(obs, BATCH);
  assertClose(batched, expected, `batch of ${BATCH}`);
  const size = obs.length / BATCH;
  const first = obs.slice(0, size);
  // not a slice of the batch's outputs: dynamic int8 quantizes activations with the scale of the whole batch
  assertClose(await policy.qValues(first, 1), await referenceOutputs(c, first, 1), 'batch of 1');
  for (let i = 0; i < 8; i++) {
    const state = obs.slice(i * size, (i + 1) * size);
    assert.equal(await policy.act(state), argmax(batched, i * spec.actionCount, spec.actionCount), `act on state ${i}`);
  }
  await assert.rejects(policy.qValues(obs.subarray(1), BATCH), (e) => e instanceof RangeError || e instanceof UsageError);
  await assert.rejects(policy.qValues(first, 2), (e) => e instanceof RangeError || e instanceof UsageError);
  t.diagnostic(`${c.name}: outputs within 1e-4 of onnxruntime-node's CPU EP`);
}

/** Options per runtime variant; GPU runtimes let the int8 model's integer ops fall back to the CPU. */
function variantOptions(runtime: string, c: Case, browserBackend?: 'wasm' | 'webgpu'): OpenOptions & GpuRuntimeOptions {
  const gpu = runtime === 'ort-cuda' || runtime === 'ort-webgpu' || browserBackend === 'webgpu';
  return { runtime, env: c.metadataEnv ? undefined : c.env, browserBackend, cpuFallback: gpu && c.int8 ? true : undefined };
}

async function unavailableMessage(file: string, options: OpenOptions): Promise<string> {
  try {
    const policy = await openPolicy(file, options);
    await policy.dispose();
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    const message = (error as Error).message;
    assert.ok(!message.includes('\n'), 'one line');
    return message;
  }
  assert.fail(`${options.runtime} opened although it said it was unavailable`);
}

// What each GPU runtime must say when this machine cannot run it.
const UNAVAILABLE_MESSAGES: Record<string, RegExp> = {
  'ort-cuda': /CUDA execution provider (is not installed \(.*libonnxruntime_providers_cuda\.so.*ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node|did not start)|has no CUDA|CUDA builds only/,
  'ort-webgpu': /no WebGPU adapter: ort-webgpu needs a GPU with Vulkan \(Linux\), Metal \(macOS\) or D3D12 \(Windows\)|WebGPU execution provider did not start|has no WebGPU/,
};

for (const [name, runtime] of Object.entries(RUNTIME_REGISTRY)) {
  const backends: ('wasm' | 'webgpu' | undefined)[] = name === 'browser' ? ['wasm', 'webgpu'] : [undefined];
  for (const browserBackend of backends) {
    const label = browserBackend ? `${name} (${browserBackend})` : name;
    test(`runtime ${label} conforms, or says in one line why it cannot run here`, async (t) => {
      const reason = await runtime.unavailableReason();
      if (reason) {
        t.diagnostic(`unavailable: ${reason}`);
        const message = await unavailableMessage(CASES[0].file, { runtime: name, browserBackend });
        assert.ok(message.includes(`'${name}'`) && message.includes(reason), message);
        if (UNAVAILABLE_MESSAGES[name]) assert.match(reason, UNAVAILABLE_MESSAGES[name]);
        return;
      }
      let allowSoftwareAdapter = false;
      for (const c of CASES) {
        let policy: Policy;
        try {
          policy = await openPolicy(c.file, { ...variantOptions(name, c, browserBackend), allowSoftwareAdapter } as OpenOptions);
        } catch (error) {
          if (c.mayDecline && error instanceof UsageError && c.mayDecline.test(error.message) && !error.message.includes('\n')) {
            t.diagnostic(`${c.name}: declined: ${error.message}`);
            continue;
          }
          // Chromium starts, but finds no GPU: no adapter at all, or only SwiftShader (WebGPU emulated on the CPU).
          if (browserBackend !== 'webgpu' || !(error instanceof UsageError) || allowSoftwareAdapter) throw error;
          assert.match(error.message, /^browser \(webgpu\): (no WebGPU adapter in Chromium|Chromium found only a software WebGPU adapter)/);
          assert.ok(!error.message.includes('\n'));
          t.diagnostic(`unavailable: ${error.message}`);
          if (!error.message.includes('software')) return;
          // The page's webgpu path still runs on the software adapter: check it on the smallest model (it is slow).
          allowSoftwareAdapter = true;
          try {
            policy = await openPolicy(c.file, { ...variantOptions(name, c, browserBackend), allowSoftwareAdapter } as OpenOptions);
          } catch (retryError) {
            // SwiftShader is not always handed out (seen on a loaded machine): then there is no adapter at all,
            // which is the other one-line answer this test accepts.
            if (!(retryError instanceof UsageError) || !/^browser \(webgpu\): no WebGPU adapter in Chromium/.test(retryError.message) || retryError.message.includes('\n')) throw retryError;
            t.diagnostic(`unavailable on the retry with the software adapter: ${retryError.message}`);
            return;
          }
          assert.equal((policy as BrowserPolicy).page.softwareAdapter, true);
        }
        try {
          await conforms(t, policy, c);
          if (name === 'ort-cuda' || name === 'ort-webgpu') {
            const placement = await gpuPlacement(name === 'ort-cuda' ? 'cuda' : 'webgpu', readFileSync(c.file), policy.spec, policy.info);
            t.diagnostic(`${c.name}: ${JSON.stringify(placement)}`);
            const gpuProvider = name === 'ort-cuda' ? 'CUDAExecutionProvider' : 'WebGpuExecutionProvider';
            assert.ok(placement[gpuProvider], `nothing ran on ${gpuProvider}`);
            if (!c.int8) assert.equal(placement.CPUExecutionProvider, undefined, 'float models run wholly on the GPU');
          }
          if (name === 'browser' && c === CASES[0]) {
            const browserPolicy = policy as BrowserPolicy;
            assert.equal(browserPolicy.backend, browserBackend);
            const times = await browserPolicy.benchInPage(observations(c.env, 1), 1, 20);
            assert.equal(times.length, 20);
            assert.ok(times.every((ms) => Number.isFinite(ms) && ms >= 0));
            t.diagnostic(`page: ${JSON.stringify(browserPolicy.page)}`);
          }
        } finally {
          await policy.dispose();
        }
        // After dispose a policy that held resources refuses to run; one that held none may still answer, correctly.
        const state = observations(c.env, 1);
        const late = await policy.qValues(state, 1).then((values) => values, (error: unknown) => error);
        if (!(late instanceof Error)) assertClose(late as Float32Array, await referenceOutputs(c, state, 1), 'after dispose');
        if (allowSoftwareAdapter) break; // the software adapter is slow: the smallest model is enough
      }
    });
  }
}

test('the profile-based placement report counts the nodes onnxruntime ran and where (ort-cpu)', async () => {
  const file = 'models/cartpole-v1-student-16x16/student.onnx';
  const bytes = readFileSync(file);
  const placement = await profilePlacement(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' }, { name: 'obs', dims: [1, 4] });
  // Unoptimized, every node of the graph runs once, all on the CPU EP.
  assert.deepEqual(placement, { CPUExecutionProvider: inspectModel(decodeModel(bytes, file)).opHistogram });
});
