// `export web`: a static site that plays an environment on a canvas with the policy running in the browser
// (onnxruntime-web, wasm backend). The page source lives in web/ at the package root and reuses the pure
// TypeScript environments of src/envs; esbuild bundles both into one script, so the site needs no build step
// and no server logic: any static file server will do (file:// will not, browsers refuse the wasm fetch).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describePolicyFile } from '../policy/file.js';
import { envIds, isBuiltInEnv } from '../envs/registry.js';
import { UsageError } from '../util/errors.js';
import { readPolicyBytes } from '../infer/open.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import { runtimePolicyModel } from '../policy/normalize.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { lockFolder, writeOutputFolderSync } from '../util/output-folder.js';
import { checkOutputFolder } from '../util/output-path.js';
import { escapeXml } from '../util/escape.js';
import type { SiteConfig } from './site-config.js';

/** The package root: this file is src/web/export-site.ts under tsx and dist/web/export-site.js once built. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_DIR = join(PACKAGE_ROOT, 'web');

/**
 * The one file onnxruntime-web's wasm-only bundle fetches at run time (its JavaScript glue is inlined in the
 * bundle, and the page runs one thread, so no worker script is loaded).
 */
export const ORT_WASM_FILE = 'ort-wasm-simd-threaded.wasm';

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
  /** Folder for the site: index.html, main.js, style.css, model.onnx and onnxruntime-web's wasm. */
  out: string;
  /** The graph output holding the Q-values, for files with several outputs. */
  output?: string;
  /** Accept a float16 input and output (the page's model casts float32 observations and Q-values at its boundary). */
  allowFp16?: boolean;
}

/**
 * Writes a static site that plays the policy's environment in the browser (onnxruntime-web, wasm); returns the
 * folder (absolute) and the file names written. UsageError when the file is unreadable or does not fit its env.
 * The folder is locked while the site is made, and its files are staged and moved in together
 * (src/util/output-folder.ts): a site is never left without its wasm or its model.
 */
export async function exportWebSite(options: ExportWebOptions): Promise<{ out: string; files: string[] }> {
  checkOutputFolder(options.out);
  const lock = lockFolder(resolve(options.out));
  try {
    return await exportWebSiteLocked(options);
  } finally {
    lock.release();
  }
}

async function exportWebSiteLocked(options: ExportWebOptions): Promise<{ out: string; files: string[] }> {
  const fileBytes = readPolicyBytes(options.model);
  const model = decodeModel(fileBytes, options.model);
  const { spec, info } = describePolicyFile(model, options.model, options.env, { output: options.output, allowFp16: options.allowFp16 });
  // The page plays the env in the browser: only the built-in TypeScript envs can run there.
  if (!isBuiltInEnv(spec.id)) throw new NoBrowserEnvError(spec.id, options.model);
  // The page runs what the runtimes run: for exports from elsewhere (fixed batch, ArgMax, float16, …) the
  // adapted copy whose output is the Q-values tensor the page reads.
  const adapted = runtimePolicyModel(model, info);
  const bytes = adapted ? encodeModel(adapted) : fileBytes;
  const out = resolve(options.out);
  const config: SiteConfig = {
    env: spec.id,
    model: 'model.onnx',
    modelName: basename(options.model),
    inputName: info.inputName,
    outputName: info.outputName,
    inputLayout: info.inputLayout,
    observationShape: spec.observationShape,
    wasm: ORT_WASM_FILE,
  };
  const files: Record<string, string | Uint8Array> = {
    ...(await (pageBundle ??= bundlePage())),
    'style.css': readFileSync(join(WEB_DIR, 'style.css'), 'utf8'),
    'index.html': renderIndexHtml(readFileSync(join(WEB_DIR, 'index.html'), 'utf8'), config),
    'model.onnx': bytes,
    [ORT_WASM_FILE]: (ortWasm ??= readFileSync(ortWasmPath())),
  };
  writeOutputFolderSync(out, (staged) => {
    for (const [name, data] of Object.entries(files)) writeFileAtomic(staged.path(name), data);
  });
  return { out, files: Object.keys(files).sort() };
}

// The page bundle and onnxruntime's wasm are the same for every model: made once per process (serve exports
// one site per model at start-up).
let pageBundle: Promise<Record<string, Uint8Array>> | undefined;
let ortWasm: Uint8Array | undefined;

/** web/main.ts and everything it imports as one minified ES module, main.js. */
async function bundlePage(): Promise<Record<string, Uint8Array>> {
  const result = await build({
    entryPoints: [join(WEB_DIR, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: '/',
    entryNames: 'main',
    logLevel: 'silent',
    plugins: existsSync(join(PACKAGE_ROOT, 'src', 'envs', 'registry.ts')) ? [] : [compiledSourcesPlugin()],
  });
  return Object.fromEntries(result.outputFiles.map((file) => [relative('/', file.path), file.contents]));
}

/**
 * An installed package ships dist/ but not src/: web/main.ts imports '../src/envs/…', which then resolves to
 * the compiled '../dist/envs/…' (same relative layout, same module names).
 */
function compiledSourcesPlugin(): Plugin {
  const srcDir = join(PACKAGE_ROOT, 'src');
  const distDir = join(PACKAGE_ROOT, 'dist');
  return {
    name: 'qdistill-compiled-sources',
    setup(builder) {
      builder.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        if (!target.startsWith(srcDir + '/')) return undefined;
        return { path: join(distDir, relative(srcDir, target)) };
      });
    },
  };
}

function ortWasmPath(): string {
  return createRequire(import.meta.url).resolve(`onnxruntime-web/${ORT_WASM_FILE}`);
}

/** Fills the template's {{title}} and {{config}}; '<' is escaped so no value can close the script element. */
function renderIndexHtml(template: string, config: SiteConfig): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const title = escapeXml(`${config.env} · ${config.modelName}`);
  // Function replacements: a '$' in a value must not be read as a replacement pattern.
  return template.replaceAll('{{title}}', () => title).replace('{{config}}', () => json);
}
