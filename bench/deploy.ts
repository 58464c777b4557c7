// The deploy path in one run: the exported page (bench/web-page.ts: bytes and time to the first action, js
// page against the onnxruntime-web page), per-call latency of the compiled policies against onnxruntime
// (bench/compiled-latency.ts: js, wasm-SIMD, C at gcc -O2, ort-cpu, ort-wasm; fp32 and int8; three sizes) and
// serve's requests/s against a bare node:http server (bench/serve-load.ts: --workers 1 and 2). Each part runs
// in its own process, one after the other, so they do not compete for the cores. Prints one JSON object.
//   node --import tsx bench/deploy.ts [--serve-duration 10]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'serve-duration': { type: 'string', default: '10' }, runs: { type: 'string', default: '5' } } });

function part(script: string, args: string[]): unknown {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status}`);
  process.stderr.write(`${script}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return JSON.parse(r.stdout);
}

const report = {
  webPage: part('bench/web-page.ts', ['--runs', values.runs!]),
  compiledLatency: part('bench/compiled-latency.ts', []),
  serve: part('bench/serve-load.ts', ['--duration', values['serve-duration']!]),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
