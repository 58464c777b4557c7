// The `browser` runtime: onnxruntime-web inside headless Chromium (playwright-core), with the wasm or the
// webgpu backend. Each policy owns one Chromium and one local server (browser-server.ts) that serves the page,
// onnxruntime-web's files and the model bytes. qValues crosses into the page per call, so its latency is
// dominated by the page.evaluate round trip; benchInPage measures session.run inside the page.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { EnvSpec } from '../envs/types.js';
import { CHROMIUM_GPU_FLAGS, chromiumUnavailableReason, launchChromium } from '../util/chromium.js';
import { UsageError } from '../util/errors.js';
import { ORT_WEB_FILES, pageHtml, type BrowserBackend, type PageSession } from './browser-page.js';
import { contentTypeOf, servePage, type PageServer, type ServedFile } from './browser-server.js';
import { type Policy } from './policy.js';
import type { Runtime, RuntimeOptions } from './runtime.js';
import { checkActionRows, checkObservationLength, fileObservationShape, toFileLayout } from './session-policy.js';
import { argmax } from '../policy/agreement.js';
import { type PolicyFileInfo } from '../policy/file.js';

export interface BrowserRuntimeOptions extends RuntimeOptions {
  /** Let onnxruntime-web run nodes the webgpu backend has no kernel for on wasm (default false). */
  cpuFallback?: boolean;
  /** webgpu: accept a software adapter (SwiftShader) when there is no GPU (default false, or QDISTILL_ALLOW_SOFTWARE_WEBGPU=1). */
  allowSoftwareAdapter?: boolean;
}

export interface BrowserPolicy extends Policy {
  readonly backend: BrowserBackend;
  /** What the page reported: threads, cross-origin isolation, the WebGPU adapter. */
  readonly page: PageSession;
  /** Per-call times in ms of `iterations` runs of `batch` observations, measured with performance.now() in the page. */
  benchInPage(observations: Float32Array, batch: number, iterations: number): Promise<number[]>;
}

interface QdistillPage {
  load(options: object): Promise<PageSession>;
  run(base64: string, dims: number[]): Promise<string>;
  bench(base64: string, dims: number[], iterations: number): Promise<number[]>;
  release(): Promise<void>;
}
// The callbacks given to page.evaluate run in the page: they reach the page's API through globalThis and may
// not use anything from this module.
type PageGlobal = { qdistill: QdistillPage };

function ortWebDist(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}

/** The onnxruntime-web files the page needs that are not there (all of them when the package is missing). */
function missingOrtWebFiles(backend: BrowserBackend): string[] {
  let dist: string;
  try {
    dist = ortWebDist();
  } catch {
    return ORT_WEB_FILES[backend];
  }
  return ORT_WEB_FILES[backend].filter((name) => !existsSync(join(dist, name)));
}

const toBase64 = (values: Float32Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

/** playwright's "page.evaluate: Error: <message>\n    at …" → "<message>". */
function pageErrorMessage(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split('\n')[0]
    .replace(/^[\w.]+: (Error: )?/, '')
    .trim();
}

function servedFiles(backend: BrowserBackend, bytes: Uint8Array): Record<string, ServedFile> {
  const dist = ortWebDist();
  const files: Record<string, ServedFile> = {
    '/': { contentType: contentTypeOf('.html'), body: pageHtml(backend) },
    '/model.onnx': { contentType: contentTypeOf('.onnx'), body: bytes },
  };
  for (const name of ORT_WEB_FILES[backend]) files[`/ort/${name}`] = { contentType: contentTypeOf(name), body: { path: join(dist, name) } };
  return files;
}

async function loadPage(page: Page, origin: string, backend: BrowserBackend, info: PolicyFileInfo, options: BrowserRuntimeOptions): Promise<PageSession> {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  if (process.env.QDISTILL_PRINT_EP) page.on('console', (message) => process.stderr.write(`browser: ${message.text()}\n`));
  await page.goto(`${origin}/`);
  try {
    await page.waitForFunction(() => (globalThis as unknown as { qdistillReady?: boolean }).qdistillReady === true, undefined, { timeout: 30_000 });
  } catch {
    throw new Error(`the page did not start${pageErrors.length ? `: ${pageErrors[0]}` : ''}`);
  }
  const loadOptions = {
    threads: options.threads ?? 1,
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    cpuFallback: options.cpuFallback ?? false,
    allowSoftwareAdapter: options.allowSoftwareAdapter ?? ['1', 'true'].includes(process.env.QDISTILL_ALLOW_SOFTWARE_WEBGPU ?? ''),
    inputName: info.inputName,
    outputName: info.outputName,
    logVerbose: Boolean(process.env.QDISTILL_PRINT_EP),
  };
  try {
    return await page.evaluate(async (o) => (globalThis as unknown as PageGlobal).qdistill.load(o), loadOptions);
  } catch (error) {
    const message = pageErrorMessage(error);
    if (message.includes('NO_WEBGPU')) {
      throw new UsageError(
        `browser (webgpu): no WebGPU adapter in Chromium (${message.replace(/^.*NO_WEBGPU: /, '')}); it needs a GPU with Vulkan (Linux), Metal or D3D12 and Chromium started with ${CHROMIUM_GPU_FLAGS.filter((f) => f.includes('webgpu') || f.includes('vulkan') || f.includes('Vulkan')).join(' ')}`,
      );
    }
    if (message.includes('SOFTWARE_WEBGPU')) {
      throw new UsageError(
        `browser (webgpu): Chromium found only a software WebGPU adapter (${message.replace(/^.*SOFTWARE_WEBGPU: /, '')}), which emulates the GPU on the CPU; it needs a GPU with Vulkan (Linux), Metal or D3D12 (QDISTILL_ALLOW_SOFTWARE_WEBGPU=1 uses the software adapter anyway)`,
      );
    }
    if (/fallback to CPU EP has been explicitly disabled/i.test(message)) {
      throw new UsageError(`browser (${backend}): some nodes of this model have no ${backend} kernel and would run on wasm; allow that with cpuFallback`);
    }
    throw new Error(message);
  }
}

export async function openBrowserPolicy(bytes: Uint8Array, spec: EnvSpec, info: PolicyFileInfo, options: BrowserRuntimeOptions = {}): Promise<BrowserPolicy> {
  const backend: BrowserBackend = options.browserBackend ?? 'wasm';
  if (!(backend in ORT_WEB_FILES)) throw new UsageError(`unknown browser backend '${backend}' (known: ${Object.keys(ORT_WEB_FILES).join(', ')})`);
  let server: PageServer | null = null;
  let browser: Browser | null = null;
  const closeAll = async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
    browser = null;
    server = null;
  };
  let pageSession: PageSession;
  let page: Page;
  try {
    server = await servePage(servedFiles(backend, bytes));
    browser = await launchChromium({ gpu: backend === 'webgpu' });
    page = await browser.newPage();
    pageSession = await loadPage(page, server.origin, backend, info, options);
  } catch (error) {
    await closeAll();
    throw error;
  }
  const shape = fileObservationShape(spec, info);
  let disposed = false;

  function encode(observations: Float32Array, batch: number): string {
    if (disposed) throw new Error('the policy was disposed');
    checkObservationLength(spec, observations, batch);
    return toBase64(toFileLayout(spec, info, observations, batch));
  }

  async function qValues(observations: Float32Array, batch: number): Promise<Float32Array> {
    const input = encode(observations, batch);
    return checkActionRows(fromBase64(await page.evaluate(([b64, dims]) => (globalThis as unknown as PageGlobal).qdistill.run(b64, dims), [input, [batch, ...shape]] as [string, number[]])), info, batch);
  }

  return {
    spec,
    info,
    backend,
    page: pageSession,
    qValues,
    act: async (observation) => argmax(await qValues(observation, 1)),
    async benchInPage(observations, batch, iterations) {
      const input = encode(observations, batch);
      return page.evaluate(([b64, dims, n]) => (globalThis as unknown as PageGlobal).qdistill.bench(b64, dims, n), [input, [batch, ...shape], iterations] as [string, number[], number]);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await page.evaluate(() => (globalThis as unknown as PageGlobal).qdistill.release()).catch(() => undefined);
      await closeAll();
    },
  };
}

export const browserRuntime: Runtime = {
  name: 'browser',
  description: 'onnxruntime-web in headless Chromium (playwright-core): --browser-backend wasm (default) or webgpu',
  async unavailableReason() {
    const chromium = chromiumUnavailableReason();
    if (chromium) return chromium;
    const missing = missingOrtWebFiles('wasm');
    return missing.length ? `onnxruntime-web's dist files are missing (${missing.join(', ')}): reinstall onnxruntime-web` : null;
  },
  open: (bytes, spec, info, options) => openBrowserPolicy(bytes, spec, info, options as BrowserRuntimeOptions),
};
