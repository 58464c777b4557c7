// The layering of docs/architecture.md, checked on the sources: shared folders use no stage, no stage imports
// a sibling stage, pipelines reach stages only through their entry file, and nothing below the CLI imports it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const SHARED = new Set(['util', 'envs', 'gym', 'onnx', 'tfjs', 'policy', 'codegen', 'infer', 'rollout']);
const STAGES = new Set(['rl', 'distill', 'compress', 'benchmark', 'serve', 'export', 'import']);

interface Import {
  file: string;
  target: string;
}

/** Every relative import (static, re-export or dynamic) of every .ts file under src/, as src-relative paths. */
function sourceImports(): Import[] {
  const imports: Import[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
          imports.push({ file: relative(SRC, path), target: normalize(join(relative(SRC, dirname(path)), m[1])) });
        }
      }
    }
  };
  walk(SRC);
  return imports;
}

const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0] : '');

/** What is wrong with one import, or null. */
export function violation({ file, target }: Import): string | null {
  const from = folderOf(file);
  const to = folderOf(target);
  if (from === to || from === 'cli' || from === '') return null; // inside a folder, the CLI, src/index.ts
  if (to === 'cli') return `${file} imports the CLI (${target})`;
  if (to === '' && target !== 'index.js' && target !== 'index.ts') return null;
  if (SHARED.has(from) && !SHARED.has(to)) return `${file} (shared layer) imports ${to}/ (${target})`;
  if (STAGES.has(from) && STAGES.has(to)) return `${file} (stage ${from}) imports sibling stage ${to}/ (${target})`;
  if (STAGES.has(from) && to === 'pipelines') return `${file} (stage ${from}) imports a pipeline (${target})`;
  if (from === 'pipelines' && STAGES.has(to) && !/^[a-z-]+\/index\.(js|ts)$/.test(target)) return `${file} reaches into stage ${to}/ past its entry file (${target})`;
  if (!SHARED.has(from) && !STAGES.has(from) && from !== 'pipelines') return `${file} is in ${from}/, which the layering does not know`;
  return null;
}

test('every folder under src/ belongs to a layer', () => {
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  const unknown = folders.filter((f) => !SHARED.has(f) && !STAGES.has(f) && f !== 'pipelines' && f !== 'cli');
  assert.deepEqual(unknown, []);
});

test('no stage imports a sibling stage; shared folders import no stage; pipelines use stage entry files', () => {
  const imports = sourceImports();
  assert.ok(imports.length > 300, `read ${imports.length} imports`);
  const problems = imports.map(violation).filter((v): v is string => v !== null);
  assert.deepEqual(problems, []);
});

test('the checker catches each kind of violation', () => {
  assert.match(violation({ file: 'codegen/peephole.ts', target: 'compress/quantize-weights.js' }) ?? '', /shared layer/);
  assert.match(violation({ file: 'compress/recipe.ts', target: 'distill/index.js' }) ?? '', /sibling stage/);
  assert.match(violation({ file: 'pipelines/compare.ts', target: 'benchmark/latency.js' }) ?? '', /past its entry file/);
  assert.match(violation({ file: 'serve/app.ts', target: 'cli/output.js' }) ?? '', /imports the CLI/);
  assert.equal(violation({ file: 'pipelines/compare.ts', target: 'benchmark/index.js' }), null);
  assert.equal(violation({ file: 'distill/distill.ts', target: 'rollout/evaluate.js' }), null);
});
