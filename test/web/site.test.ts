// `export web` end to end: export a site, serve it over HTTP (or open it as a file), open it in headless
// Chromium and let the policy play (the compiled js policy inlined in the page by default, onnxruntime-web
// with --runtime ort-wasm|ort-webgpu). The browser's episode is checked against the same episode played in
// Node with onnxruntime-node and the same env code: same actions, same return.
import { exportWeb } from '../../src/export/index.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeEnv } from '../../src/envs/registry.js';
import { openPolicy } from '../../src/infer/open.js';
import { UsageError } from '../../src/util/errors.js';
import { chromiumUnavailableReason, launchChromium } from '../../src/util/chromium.js';
import { startServer } from '../../src/serve/server.js';
import { serve } from '../../src/pipelines/serve.js';
import { exportWebSite, ORT_WASM_FILE, ORT_WEBGPU_WASM_FILE, type ExportWebOptions } from '../../src/export/web-site.js';
import type { PageState } from '../../src/export/site-config.js';
import { ourLines, runCli } from '../cli/run-cli.js';
import { serveFolder, type StaticServer } from '../support/static-server.js';
import type { FileReading } from '../../src/serve/index.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TORCH_EXPORTS = fileURLToPath(new URL('../support/export_torch_policies.py', import.meta.url));

const SEED = 1;
const CARTPOLE_STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';

/** The greedy episode in Node: onnxruntime-node and the env from src/envs, reset with `seed`. */
async function nodeEpisode(model: string, env: string | undefined, seed: number, read: FileReading = {}): Promise<{ actions: number[]; episodeReturn: number }> {
  const policy = await openPolicy(model, { env, ...read });
  const environment = makeEnv(policy.spec.id);
  let observation = environment.reset(seed);
  const actions: number[] = [];
  let episodeReturn = 0;
  try {
    for (;;) {
      const action = await policy.act(observation);
      actions.push(action);
      const result = environment.step(action);
      episodeReturn += result.reward;
      observation = result.observation;
      if (result.terminated || result.truncated) return { actions, episodeReturn };
    }
  } finally {
    await policy.dispose();
  }
}

/** Opens the page, collects page errors and console errors, and waits until the episode is over. */
async function playInBrowser(browser: Browser, url: string): Promise<{ page: Page; state: PageState; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${url}?fast=1&autoplay=0&seed=${SEED}`);
  await page.waitForFunction(() => window.qdistill?.done || window.qdistill?.error, null, { timeout: 40_000 });
  const state = (await page.evaluate(() => window.qdistill));
  return { page, state, problems };
}

/** Distinct colours on the canvas: a blank or failed drawing has one. */
async function canvasColours(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return colours.size;
  });
}

const skip = chromiumUnavailableReason() ?? false;

describe('export web', { skip }, () => {
  const workDir = mkdtempSync(join(tmpdir(), 'qdistill-web-'));
  let browser: Browser;
  const servers: StaticServer[] = [];

  async function exportAndServe(name: string, model: string, env?: string, read: FileReading = {}, runtime?: ExportWebOptions['runtime']): Promise<StaticServer> {
    const { out } = await exportWebSite({ model, env, out: join(workDir, name), runtime, ...read });
    const server = await serveFolder(out);
    servers.push(server);
    return server;
  }

  before(async () => {
    browser = await launchChromium();
    const r = spawnSync('/usr/bin/python3', [TORCH_EXPORTS, join(workDir, 'torch')], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.error?.message ?? r.stderr);
  });
  after(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The checks every CartPole student page passes: return 500 in 500 steps, Node's actions, the text agrees. */
  async function assertPlaysCartPoleTo500(page: Page, state: PageState, problems: string[]): Promise<void> {
    assert.deepEqual(problems, []);
    assert.equal(state.error, null);
    const node = await nodeEpisode(CARTPOLE_STUDENT, undefined, SEED);
    assert.equal(node.episodeReturn, 500);
    assert.equal(state.episodeReturn, 500);
    assert.equal(state.steps, 500);
    assert.deepEqual(state.actions, node.actions);
    // The visible text says the same as the page state, past episodes included.
    assert.equal((await page.textContent('#return'))?.trim(), '500');
    assert.equal((await page.textContent('#steps'))?.trim(), '500');
    assert.match((await page.textContent('#status')) ?? '', /done/);
    assert.match((await page.textContent('#episodes-summary')) ?? '', /^1 episode: mean return 500\.0 ± 0\.0$/);
    assert.match((await page.textContent('#episodes')) ?? '', /seed 1: return 500 in 500 steps/);
    assert.ok(state.inferenceMsP50 !== null && state.inferenceMsP50 >= 0);
    assert.ok(state.firstActionMs !== null && state.firstActionMs > 0);
  }

  /** Waits for the page's many-call timing, which follows the first action. */
  async function callTiming(page: Page): Promise<{ micros: number; calls: number; text: string }> {
    await page.waitForFunction(() => window.qdistill.callMicroseconds !== null, null, { timeout: 20_000 });
    const { callMicroseconds, timedCalls } = await page.evaluate(() => window.qdistill);
    return { micros: callMicroseconds!, calls: timedCalls, text: (await page.textContent('#call-time')) ?? '' };
  }

  test('the js page of the CartPole student is one file of a few KB and plays to 500 in the browser, as in Node', async () => {
    const server = await exportAndServe('cartpole', CARTPOLE_STUDENT);
    const folder = join(workDir, 'cartpole');
    assert.deepEqual(readdirSync(folder).sort(), ['_headers', 'index.html']);
    // The compiled policy, the env, the renderer and the page's code, inline; no onnxruntime in it.
    const html = readFileSync(join(folder, 'index.html'), 'utf8');
    assert.ok(html.length < 40_000, `index.html is ${html.length} bytes`);
    assert.doesNotMatch(html, /onnxruntime|InferenceSession|planck/i);
    const { page, state, problems } = await playInBrowser(browser, server.url);
    await assertPlaysCartPoleTo500(page, state, problems);
    // The page loaded nothing but itself.
    assert.deepEqual(server.requests.map((r) => r.split(' ').slice(1).join(' ')), ['/ 200']);
    const timing = await callTiming(page);
    assert.ok(timing.calls >= 10 && timing.micros > 0, JSON.stringify(timing));
    assert.match(timing.text, /µs|ms/);
    await page.close();
  });

  test('the js page plays to 500 opened from a file:// URL, with no server at all', async () => {
    await exportWebSite({ model: CARTPOLE_STUDENT, out: join(workDir, 'cartpole-file') });
    const { page, state, problems } = await playInBrowser(browser, pathToFileURL(join(workDir, 'cartpole-file', 'index.html')).href);
    await assertPlaysCartPoleTo500(page, state, problems);
    await page.close();
  });

  test('--runtime ort-wasm keeps onnxruntime-web: the page fetches the model and the wasm, plays to 500, and says a file:// page cannot', async () => {
    const server = await exportAndServe('cartpole-ort', CARTPOLE_STUDENT, undefined, {}, 'ort-wasm');
    const folder = join(workDir, 'cartpole-ort');
    assert.deepEqual(readdirSync(folder).sort(), ['_headers', 'index.html', 'main.js', 'model.onnx', ORT_WASM_FILE, 'style.css'].sort());
    const { page, state, problems } = await playInBrowser(browser, server.url);
    await assertPlaysCartPoleTo500(page, state, problems);
    const fetched = server.requests.map((r) => r.split(' ').slice(1).join(' '));
    assert.deepEqual(fetched.sort(), ['/ 200', '/main.js 200', '/model.onnx 200', `/${ORT_WASM_FILE} 200`, '/style.css 200'].sort());
    await page.close();

    const asFile = await playInBrowser(browser, pathToFileURL(join(folder, 'index.html')).href);
    assert.match(asFile.state.error ?? '', /open this page through a web server/);
    await asFile.page.close();
  });

  test('--runtime ort-webgpu writes the WebGPU build and, with no adapter (headless, --disable-gpu), plays on its wasm backend', async () => {
    const server = await exportAndServe('cartpole-webgpu', CARTPOLE_STUDENT, undefined, {}, 'ort-webgpu');
    assert.ok(readdirSync(join(workDir, 'cartpole-webgpu')).includes(ORT_WEBGPU_WASM_FILE));
    const { page, state, problems } = await playInBrowser(browser, server.url);
    await assertPlaysCartPoleTo500(page, state, problems);
    await page.close();
  });

  const sites: Array<{ name: string; model: string; env?: string }> = [
    { name: 'acrobot', model: 'models/acrobot-v1/teacher.onnx' },
    { name: 'mountaincar', model: 'models/mountaincar-v0/teacher.onnx' },
    { name: 'lunarlander', model: 'models/lunarlander-v3/teacher.onnx' },
    { name: 'breakout', model: 'models/minatar-breakout/teacher.onnx' },
    // NCHW input and no metadata: the page transposes the env's HWC observation.
    { name: 'breakout-pytorch', model: 'models/pytorch/minatar-breakout-cnn.onnx', env: 'MinAtar/Breakout' },
  ];
  for (const site of sites) {
    test(`${site.model} plays in the browser without errors, draws, and acts as in Node`, async () => {
      const server = await exportAndServe(site.name, site.model, site.env);
      const { page, state, problems } = await playInBrowser(browser, server.url);
      assert.deepEqual(problems, []);
      assert.equal(state.error, null);
      assert.ok(state.steps > 0);
      assert.ok((await canvasColours(page)) > 2, 'the canvas shows a scene');
      const node = await nodeEpisode(site.model, site.env, SEED);
      assert.deepEqual(state.actions, node.actions);
      assert.ok(Math.abs(state.episodeReturn - node.episodeReturn) < 1e-6, `${state.episodeReturn} vs ${node.episodeReturn}`);
      await page.close();
    });
  }

  // Exports made the ways PyTorch / SB3 users make them: the page runs the copy the runtimes run (symbolic
  // batch, no Cast prologue, the Q-values behind an ArgMax, float32 casts around float16, the output named).
  const userExports: Array<{ name: string; read?: FileReading }> = [
    { name: 'sb3-prologue' },
    { name: 'argmax' },
    { name: 'fp16', read: { allowFp16: true } },
    { name: 'two-outputs', read: { output: 'values' } },
  ];
  for (const site of userExports) {
    test(`torch export '${site.name}' plays in the browser and acts as in Node`, async () => {
      const model = join(workDir, 'torch', `${site.name}.onnx`);
      const server = await exportAndServe(`torch-${site.name}`, model, 'CartPole-v1', site.read);
      const { page, state, problems } = await playInBrowser(browser, server.url);
      assert.deepEqual(problems, []);
      assert.equal(state.error, null);
      const node = await nodeEpisode(model, 'CartPole-v1', SEED, site.read);
      assert.deepEqual(state.actions, node.actions);
      await page.close();
    });
  }

  test('the page served by qdistill serve under /web/{name}/ plays the CartPole student to 500, cross-origin isolated', async () => {
    const running = await startServer({
      models: [{ name: 'cartpole', file: 'models/cartpole-v1-student-16x16/student.onnx' }],
      host: '127.0.0.1',
      port: 0,
      batching: { enabled: true, batchWindowUs: 200, maxBatch: 64 },
      maxRequestBatch: 256,
      webPages: ({ file, env, out }) => exportWeb({ model: file, env, out }),
    });
    try {
      const { page, state, problems } = await playInBrowser(browser, `${running.url}/web/cartpole/`);
      await assertPlaysCartPoleTo500(page, state, problems);
      // serve sends COOP/COEP: the page is cross-origin isolated, so its clock is finer than the 0.1 ms of others.
      assert.equal(await page.evaluate(() => crossOriginIsolated), true);
      assert.ok(state.clockResolutionMs < 0.1, `clock resolution ${state.clockResolutionMs} ms`);
      await page.close();
    } finally {
      await running.close();
    }
  });

  test('serve with webRuntime ort-wasm serves the onnxruntime-web page: its script, the model and the wasm under /web/{name}/', async () => {
    const running = await serve({ models: [{ name: 'cartpole', file: CARTPOLE_STUDENT }], port: 0, webRuntime: 'ort-wasm' });
    try {
      for (const file of ['', 'main.js', 'model.onnx', ORT_WASM_FILE, 'style.css']) {
        const response = await fetch(`${running.url}/web/cartpole/${file}`);
        assert.equal(response.status, 200, file);
        await response.arrayBuffer();
      }
      const html = await (await fetch(`${running.url}/web/cartpole/`)).text();
      assert.match(html, /"runtime":"ort-wasm"/);
    } finally {
      await running.close();
    }
  });

  test('qdistill export web writes the site and says how to serve it; a file without metadata needs --env', () => {
    const out = join(workDir, 'cli');
    const ok = runCli(['export', 'web', 'models/cartpole-v1-student-16x16/student.onnx', '--out', out]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^wrote ${out} \\(2 files, [\\d.]+ KB, runtime js\\); open ${out}/index.html directly`));
    assert.deepEqual(readdirSync(out).sort(), ['_headers', 'index.html']);
    const json = runCli(['export', 'web', 'models/cartpole-v1-student-16x16/student.onnx', '--runtime', 'ort-wasm', '--out', join(workDir, 'cli-ort'), '--json']);
    assert.equal(json.status, 0, json.stderr);
    const written = JSON.parse(json.stdout);
    assert.equal(written.runtime, 'ort-wasm');
    assert.equal(written.fallback, null);
    assert.ok(written.bytes > 10_000_000, 'onnxruntime-web\'s wasm is in the folder');

    const noEnv = runCli(['export', 'web', 'models/pytorch/minatar-breakout-cnn.onnx', '--out', join(workDir, 'no-env')]);
    assert.equal(noEnv.status, 2);
    assert.deepEqual(ourLines(noEnv.stderr), ['qdistill: the model has no qdistill.env metadata; pass --env <id> (models/pytorch/minatar-breakout-cnn.onnx)']);
  });

  test('a model that does not fit the env is a UsageError and writes nothing', async () => {
    const out = join(workDir, 'mismatch');
    await assert.rejects(
      exportWebSite({ model: 'models/cartpole-v1-student-16x16/student.onnx', env: 'LunarLander-v3', out }),
      (error: unknown) => error instanceof UsageError && /LunarLander-v3/.test(error.message),
    );
    assert.throws(() => readdirSync(out), /ENOENT/);
  });
});
