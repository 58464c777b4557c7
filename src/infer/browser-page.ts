// The page the `browser` runtime loads in Chromium, and the onnxruntime-web files it needs. The page imports
// the non-bundled ESM build of one backend, which loads its wasm glue and binary from the same folder:
//   wasm   → ort.wasm.min.mjs   + ort-wasm-simd-threaded.mjs / .wasm
//   webgpu → ort.webgpu.min.mjs + ort-wasm-simd-threaded.asyncify.mjs / .wasm (the native WebGPU EP)
// The page exposes `globalThis.qdistill` for page.evaluate; tensors cross as base64 of little-endian float32.

export type BrowserBackend = 'wasm' | 'webgpu';

export const ORT_WEB_FILES: Record<BrowserBackend, string[]> = {
  wasm: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'],
  webgpu: ['ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'],
};

/** What the page's load() reports back. */
export interface PageSession {
  inputNames: string[];
  outputNames: string[];
  crossOriginIsolated: boolean;
  threads: number;
  /** webgpu: the adapter's vendor, architecture and description. */
  adapter: string | null;
  /** webgpu: the adapter is a CPU emulation (SwiftShader), only used when allowed. */
  softwareAdapter: boolean;
}

/** The page's script; runs in Chromium, so it is plain JavaScript in a string. */
function pageScript(backend: BrowserBackend): string {
  return `
import * as ort from '/ort/${ORT_WEB_FILES[backend][0]}';

const fromBase64 = (text) => {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
};
const toBase64 = (values) => {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};

let session = null;
let inputName = null;
let outputName = null;

globalThis.qdistill = {
  async load({ threads, graphOptimizationLevel, cpuFallback, allowSoftwareAdapter, inputName: input, outputName: output, logVerbose }) {
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = threads;
    if (logVerbose) ort.env.logLevel = 'verbose';
    let adapter = null;
    let softwareAdapter = false;
    if (${JSON.stringify(backend)} === 'webgpu') {
      if (!navigator.gpu) throw new Error('NO_WEBGPU: navigator.gpu is missing');
      const found = await navigator.gpu.requestAdapter();
      if (!found) throw new Error('NO_WEBGPU: navigator.gpu.requestAdapter() found no adapter');
      const info = found.info ?? {};
      adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
      // Without a usable GPU, Chromium offers SwiftShader: WebGPU emulated on the CPU.
      softwareAdapter = Boolean(info.isFallbackAdapter ?? found.isFallbackAdapter) || /swiftshader/i.test(adapter);
      if (softwareAdapter && !allowSoftwareAdapter) throw new Error('SOFTWARE_WEBGPU: ' + adapter);
    }
    const bytes = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: [${JSON.stringify(backend)}],
      graphOptimizationLevel,
      logSeverityLevel: logVerbose ? 0 : 2,
      // wasm is onnxruntime's CPU EP here; for webgpu, refuse to put nodes on it unless allowed
      extra: ${JSON.stringify(backend)} === 'webgpu' && !cpuFallback ? { session: { disable_cpu_ep_fallback: '1' } } : {},
    });
    inputName = input;
    outputName = output;
    return { inputNames: session.inputNames, outputNames: session.outputNames, crossOriginIsolated, threads: ort.env.wasm.numThreads, adapter, softwareAdapter };
  },
  async run(base64, dims) {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', fromBase64(base64), dims) });
    return toBase64(result[outputName].data);
  },
  // Per-call times (ms) of tensor creation + session.run, measured inside the page.
  async bench(base64, dims, iterations) {
    const data = fromBase64(base64);
    const times = [];
    for (let i = 0; i < iterations; i++) {
      const start = performance.now();
      await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
      times.push(performance.now() - start);
    }
    return times;
  },
  async release() {
    if (session) await session.release();
    session = null;
  },
};
globalThis.qdistillReady = true;
`;
}

export function pageHtml(backend: BrowserBackend): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>qdistill policy (${backend})</title></head>
<body><script type="module">${pageScript(backend)}</script></body></html>
`;
}
