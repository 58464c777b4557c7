// The CLI loads only the stage a command runs: `--help`, `envs` and every command's `--help` must not load
// tfjs, onnxruntime, Chromium's driver or the HTTP stack. Those packages are CommonJS, so whatever loads them
// leaves them in the CommonJS module cache, which the child process prints after running the command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RUNTIME_REGISTRY } from '../../src/infer/open.js';
import { RUNTIME_NAMES } from '../../src/infer/runtime-names.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// (esbuild is not on the list: tsx, which runs the sources here, loads it itself.)
const HEAVY = ['@tensorflow/', 'onnxruntime-node', 'onnxruntime-web', 'playwright-core', 'fastify', 'cli-progress'];

/** node_modules packages in the CommonJS cache after `qdistill <args>` ran in a fresh process. */
function packagesLoadedBy(args: string[]): string[] {
  const script = `
    import { createRequire } from 'node:module';
    const { main } = await import('./src/cli/main.ts');
    const out = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true; // the command's own output is not what is measured
    await main(${JSON.stringify(args)});
    const cached = Object.keys(createRequire(import.meta.url).cache);
    out(JSON.stringify([...new Set(cached.map((p) => p.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)?.[1]).filter(Boolean))]));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('--help, envs and command help load none of the heavy packages', () => {
  for (const args of [['--help'], ['envs'], ['distill', '--help'], ['compress', '--help'], ['bench', '--help'], ['serve', '--help'], ['quantize', '--help']]) {
    const heavy = packagesLoadedBy(args).filter((name) => HEAVY.some((h) => name.startsWith(h)));
    assert.deepEqual(heavy, [], `qdistill ${args.join(' ')}`);
  }
});

test('the check sees a heavy package when a command does load one', () => {
  const loaded = packagesLoadedBy(['inspect', 'models/cartpole-v1-student-16x16/student.onnx']);
  assert.ok(loaded.includes('protobufjs'), loaded.join(', '));
  const evaluated = packagesLoadedBy(['eval', 'models/cartpole-v1-student-16x16/student.onnx', '--episodes', '1']);
  assert.ok(evaluated.includes('onnxruntime-node'), evaluated.join(', '));
});

test('the runtime names --help lists are the registry\'s, in its order', () => {
  assert.deepEqual([...RUNTIME_NAMES], Object.keys(RUNTIME_REGISTRY));
});
