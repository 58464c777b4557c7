// `export web`: a static site that plays an environment on a canvas with the policy running in the browser.
// By default the policy is the compiled js module (`export js`) bundled into the page: one index.html of a
// few KB that needs no server (it works opened as a file). `--runtime ort-wasm|ort-webgpu` keeps
// onnxruntime-web: the page then fetches the model and onnxruntime's wasm (≈14 MB), so it needs a server.
// The page source lives in web/ at the package root and reuses the pure TypeScript environments of src/envs;
// esbuild bundles it per page (src/export/page-bundle.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { generateJs } from '../codegen/js.js';
import { lowerPolicy, sha256 } from '../codegen/program.js';
import { describePolicyFile, type PolicyFileInfo } from '../policy/file.js';
import { envIds, isBuiltInEnv } from '../envs/registry.js';
import { UsageError } from '../util/errors.js';
import { readPolicyBytes } from '../infer/open.js';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.js';
import type { EnvSpec } from '../envs/types.js';
import { runtimePolicyModel } from '../policy/normalize.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { lockFolder, writeOutputFolderSync } from '../util/output-folder.js';
import { checkOutputFolder } from '../util/output-path.js';
import { escapeXml } from '../util/escape.js';
import { bundlePage, WEB_DIR } from './page-bundle.js';
import type { PageRuntime, SiteConfig } from './site-config.js';
import { PAGE_RUNTIMES } from './site-runtimes.js';

/** The file onnxruntime-web's wasm-only bundle fetches at run time (its JavaScript glue is inlined in the bundle, one thread). */
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.wasm';
/** The file onnxruntime-web's WebGPU bundle fetches at run time. */
export const ORT_WEBGPU_WASM_FILE = 'ort-wasm-simd-threaded.asyncify.wasm';

export { PAGE_RUNTIMES };

/** Headers for Netlify and Cloudflare Pages (their `_headers` file): cross-origin isolation, for precise timers. */
const HEADERS_FILE = `/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
  Cross-Origin-Resource-Policy: same-origin
`;

/** The refusal of a page for an env that cannot run in a browser (a gym: env runs in Python). */
export class NoBrowserEnvError extends UsageError {
  constructor(env: string, model: string) {
    super(`the web page plays the env in the browser, which only the built-in envs (${envIds().join(', ')}) can do; ${env} runs in Python (serve the model, or export js/c for your own loop)`, model);
  }
}

/** Options of exportWeb(): the policy file, its environment, and the folder to write. */
export interface ExportWebOptions {
  /** The ONNX policy file. */
  model: string;
  /** Environment id for files without qdistill.env metadata (or to override it). */
  env?: string;
  /** Folder for the site: index.html (and for onnxruntime-web pages main.js, style.css, model.onnx and its wasm). */
  out: string;
  /**
   * What runs the policy: 'js' the compiled module inlined in the page (a few KB, works from file://),
   * 'ort-wasm' / 'ort-webgpu' onnxruntime-web (needs a server), 'auto' (default) js where the model
   * compiles, else ort-wasm.
   */
  runtime?: (typeof PAGE_RUNTIMES)[number];
  /** The graph output holding the Q-values, for files with several outputs. */
  output?: string;
  /** Accept a float16 input and output (the page's model casts float32 observations and Q-values at its boundary). */
  allowFp16?: boolean;
}

/**
 * Browsers refuse module scripts from file:// pages, so main.js never runs there: this inline script says so
 * on the page (and on window.qdistill) instead of leaving it on "loading…".
 */
const FILE_PAGE_NOTICE = `<script>
if (location.protocol === 'file:') addEventListener('DOMContentLoaded', () => {
  const error = 'open this page through a web server, not as a file (see below)';
  window.qdistill = { ready: false, error };
  document.getElementById('status').textContent = 'error: ' + error;
});
</script>`;

/** What exportWebSite() wrote. */
export interface ExportWebResult {
  /** The folder, absolute. */
  out: string;
  /** File names written, sorted. */
  files: string[];
  /** The runtime the page uses. */
  runtime: PageRuntime;
  /** Why 'auto' chose ort-wasm: the compiled js policy cannot run this model (null when it chose js). */
  fallback: string | null;
}

/**
 * Writes a static site that plays the policy's environment in the browser; returns the folder (absolute),
 * the file names written and the runtime. UsageError when the file is unreadable or does not fit its env.
 * The folder is locked while the site is made, and its files are staged and moved in together
 * (src/util/output-folder.ts): a site is never left without its wasm or its model.
 */
export async function exportWebSite(options: ExportWebOptions): Promise<ExportWebResult> {
  checkOutputFolder(options.out);
  const lock = lockFolder(resolve(options.out));
  try {
    return await exportWebSiteLocked(options);
  } finally {
    lock.release();
  }
}

async function exportWebSiteLocked(options: ExportWebOptions): Promise<ExportWebResult> {
  const fileBytes = readPolicyBytes(options.model);
  const model = decodeModel(fileBytes, options.model);
  const { spec, info } = describePolicyFile(model, options.model, options.env, { output: options.output, allowFp16: options.allowFp16 });
  // The page plays the env in the browser: only the built-in TypeScript envs can run there.
  if (!isBuiltInEnv(spec.id)) throw new NoBrowserEnvError(spec.id, options.model);
  const requested = options.runtime ?? 'auto';
  let compiled: string | null = null;
  let fallback: string | null = null;
  if (requested === 'auto' || requested === 'js') {
    try {
      compiled = compiledPolicy(model, spec, info, fileBytes, options.model);
    } catch (error) {
      if (!(error instanceof UsageError) || requested === 'js') throw error;
      fallback = error.message;
    }
  }
  const runtime: PageRuntime = compiled !== null ? 'js' : requested === 'ort-webgpu' ? 'ort-webgpu' : 'ort-wasm';
  const config: SiteConfig = {
    env: spec.id,
    runtime,
    model: compiled !== null ? null : 'model.onnx',
    modelName: basename(options.model),
    inputName: info.inputName,
    outputName: info.outputName,
    inputLayout: info.inputLayout,
    observationShape: spec.observationShape,
    wasm: compiled !== null ? null : runtime === 'ort-webgpu' ? ORT_WEBGPU_WASM_FILE : ORT_WASM_FILE,
  };
  const script = await bundlePage({ env: spec.id, runtime, compiledPolicy: compiled ?? undefined });
  const style = readFileSync(join(WEB_DIR, 'style.css'), 'utf8');
  const template = readFileSync(join(WEB_DIR, 'index.html'), 'utf8');
  const files: Record<string, string | Uint8Array> = { _headers: HEADERS_FILE };
  if (compiled !== null) {
    // Everything inline: a file:// page may load no other file (browsers refuse module scripts from file://).
    files['index.html'] = renderIndexHtml(template, config, { style: `<style>\n${style}</style>`, script: `<script type="module">${inlineScript(script)}</script>` });
  } else {
    // The page runs what the runtimes run: for exports from elsewhere (fixed batch, ArgMax, float16, …) the
    // adapted copy whose output is the Q-values tensor the page reads.
    const adapted = runtimePolicyModel(model, info);
    files['index.html'] = renderIndexHtml(template, config, { style: '<link rel="stylesheet" href="style.css">', script: `${FILE_PAGE_NOTICE}\n<script type="module" src="main.js"></script>` });
    files['main.js'] = script;
    files['style.css'] = style;
    files['model.onnx'] = adapted ? encodeModel(adapted) : fileBytes;
    files[config.wasm!] = ortWasm(config.wasm!);
  }
  const out = resolve(options.out);
  writeOutputFolderSync(out, (staged) => {
    for (const [name, data] of Object.entries(files)) writeFileAtomic(staged.path(name), data);
  });
  return { out, files: Object.keys(files).sort(), runtime, fallback };
}

/**
 * The model, already decoded and described, as the `export js` module (what the js page bundles): lowered as
 * programFromBytes lowers a file (the runtime copy), without reading it again. UsageError when it cannot be compiled.
 */
function compiledPolicy(model: ModelProto, spec: EnvSpec, info: PolicyFileInfo, bytes: Uint8Array, file: string): string {
  const program = lowerPolicy(runtimePolicyModel(model, info) ?? model, spec, info, { file: basename(file), sha256: sha256(bytes) }, { target: 'the web page (--runtime js)' });
  // No command line in its header: the page is public, and serve's command line may carry a token.
  return generateJs(program);
}

/** A script's text made safe inside <script>…</script>: no '</script' can end the element early. */
function inlineScript(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1');
}

// onnxruntime's wasm is the same for every model: read once per process (serve exports one site per model).
const ortWasmFiles = new Map<string, Uint8Array>();

function ortWasm(file: string): Uint8Array {
  let bytes = ortWasmFiles.get(file);
  if (!bytes) ortWasmFiles.set(file, (bytes = readFileSync(createRequire(import.meta.url).resolve(`onnxruntime-web/${file}`))));
  return bytes;
}

const RUNTIME_WORDS: Record<PageRuntime, string> = {
  js: 'the compiled JavaScript policy, inlined in this page',
  'ort-wasm': 'onnxruntime-web, WebAssembly',
  'ort-webgpu': 'onnxruntime-web, WebGPU',
};

const SERVING_WORDS: Record<PageRuntime, string> = {
  js: 'This page is one self-contained file: open it directly (file://) or put it on any static server.',
  'ort-wasm': 'Serve this folder with any static file server (for example <code>npx http-server .</code>; <code>qdistill serve --web-runtime ort-wasm</code> builds and serves such a page itself): opened as a file:// page, the browser refuses to fetch the WebAssembly runtime and the model.',
  'ort-webgpu': 'Serve this folder with any static file server (for example <code>npx http-server .</code>; <code>qdistill serve --web-runtime ort-webgpu</code> builds and serves such a page itself): opened as a file:// page, the browser refuses to fetch the WebAssembly runtime and the model. Without a WebGPU adapter onnxruntime runs the model on its wasm backend.',
};

/**
 * Fills the template's {{title}}, {{config}}, {{runtime}}, {{serving}}, {{style}} and {{script}}; '<' is
 * escaped in the config so no value can close its script element.
 */
function renderIndexHtml(template: string, config: SiteConfig, parts: { style: string; script: string }): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const title = escapeXml(`${config.env} · ${config.modelName}`);
  // Function replacements: a '$' in a value must not be read as a replacement pattern.
  return template
    .replaceAll('{{title}}', () => title)
    .replace('{{config}}', () => json)
    .replace('{{runtime}}', () => RUNTIME_WORDS[config.runtime])
    .replace('{{serving}}', () => SERVING_WORDS[config.runtime])
    .replace('{{style}}', () => parts.style)
    .replace('{{script}}', () => parts.script);
}
