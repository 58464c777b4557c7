// The page's script: web/main.ts bundled by esbuild with three modules made for the page, so that it carries
// only what it runs — its one environment and renderer (not the five, nor LunarLander's physics engine on a
// CartPole page), its one policy runtime, and for the js page the compiled policy itself.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { PageRuntime } from './site-config.js';

/** The package root: this file is src/export/page-bundle.ts under tsx and dist/export/page-bundle.js once built. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_DIR = join(PACKAGE_ROOT, 'web');

/** Where each built-in env's code and renderer live (module paths relative to the package root, and export names). */
const PAGE_ENVS: Record<string, { env: [string, string]; renderer: [string, string] }> = {
  'CartPole-v1': { env: ['src/envs/cartpole.js', 'CartPoleEnv'], renderer: ['web/renderers/cartpole.js', 'cartPoleRenderer'] },
  'Acrobot-v1': { env: ['src/envs/acrobot.js', 'AcrobotEnv'], renderer: ['web/renderers/acrobot.js', 'acrobotRenderer'] },
  'MountainCar-v0': { env: ['src/envs/mountain-car.js', 'MountainCarEnv'], renderer: ['web/renderers/mountain-car.js', 'mountainCarRenderer'] },
  'LunarLander-v3': { env: ['src/envs/lunar-lander.js', 'LunarLanderEnv'], renderer: ['web/renderers/lunar-lander.js', 'lunarLanderRenderer'] },
  'MinAtar/Breakout': { env: ['src/envs/minatar-breakout.js', 'MinAtarBreakoutEnv'], renderer: ['web/renderers/breakout.js', 'breakoutRenderer'] },
};

const POLICY_ENTRY: Record<PageRuntime, string> = {
  js: 'web/policy-js.js',
  'ort-wasm': 'web/policy-ort-wasm.js',
  'ort-webgpu': 'web/policy-ort-webgpu.js',
};

/** What a page's bundle is made for. */
export interface PageBundleRequest {
  env: string;
  runtime: PageRuntime;
  /** The `export js` module of the policy (runtime 'js' only). */
  compiledPolicy?: string;
}

const NAMESPACE = 'qdistill-page';

/** The page's script as one minified ES module. */
export async function bundlePage(request: PageBundleRequest): Promise<string> {
  const parts = PAGE_ENVS[request.env];
  if (!parts) throw new Error(`no page modules for env ${request.env}`);
  if (request.runtime === 'js' && request.compiledPolicy === undefined) throw new Error('a js page needs its compiled policy');
  // Import paths from the package root, as the made modules import them (resolved from WEB_DIR).
  const fromWeb = (path: string) => `./${relative(WEB_DIR, join(PACKAGE_ROOT, path))}`;
  const modules: Record<string, string> = {
    'qdistill:page-env':
      `import { ${parts.env[1]} } from ${JSON.stringify(fromWeb(parts.env[0]))};\n` +
      `export { ${parts.renderer[1]} as renderer } from ${JSON.stringify(fromWeb(parts.renderer[0]))};\n` +
      `export const createEnv = () => new ${parts.env[1]}();\n`,
    'qdistill:page-policy': `export { loadPolicy } from ${JSON.stringify(fromWeb(POLICY_ENTRY[request.runtime]))};\n`,
    'qdistill:compiled-policy': request.compiledPolicy ?? '',
  };
  const result = await build({
    entryPoints: [join(WEB_DIR, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
    // The js page is one inline script: no source map, no chunks.
    plugins: [pageModulesPlugin(modules), ...(existsSync(join(PACKAGE_ROOT, 'src', 'envs', 'registry.ts')) ? [] : [compiledSourcesPlugin()])],
  });
  const [output] = result.outputFiles;
  return output.text;
}

/** Resolves the qdistill:… imports to the modules made for this page. */
function pageModulesPlugin(modules: Record<string, string>): Plugin {
  return {
    name: 'qdistill-page-modules',
    setup(builder) {
      builder.onResolve({ filter: /^qdistill:/ }, (args) => (args.path in modules ? { path: args.path, namespace: NAMESPACE } : undefined));
      builder.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({ contents: modules[args.path], loader: 'js', resolveDir: WEB_DIR }));
    },
  };
}

/**
 * An installed package ships dist/ but not src/: web/ imports '../src/envs/…', which then resolves to the
 * compiled '../dist/envs/…' (same relative layout, same module names).
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
