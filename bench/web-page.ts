// The exported page's weight and its time to the first action: the js page (the compiled policy inlined in
// index.html, the default) against the onnxruntime-web page (--runtime ort-wasm), for the same model, in
// headless Chromium on loopback and under an emulated 10 Mbit/s link. Every load is a new browser context
// (an empty cache). Bytes are what went over the wire (CDP's encodedDataLength of every response); the time to
// the first action is the page's own figure (performance.now() at its first act, from the navigation start).
// Also the page's per-call time (timed over many calls after the first action) with and without cross-origin
// isolation. Prints one JSON object.
//   node --import tsx bench/web-page.ts [--runs 5] [--model models/cartpole-v1-student-16x16/student.onnx]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { exportWebSite } from '../src/export/web-site.js';
import type { PageRuntime } from '../src/export/site-config.js';
import { launchChromium } from '../src/util/chromium.js';
import { percentiles } from '../src/util/stats.js';
import { serveFolder } from '../test/support/static-server.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    model: { type: 'string', default: 'models/cartpole-v1-student-16x16/student.onnx' },
  },
});
const runs = Number(values.runs);
const model = values.model!;

/** 10 Mbit/s down and up, 20 ms of latency: a slow connection, as Chrome's devtools emulate it. */
const SLOW_LINK = { offline: false, latency: 20, downloadThroughput: 10e6 / 8, uploadThroughput: 10e6 / 8 };

interface Load {
  bytes: number;
  requests: number;
  firstActionMs: number;
  callMicroseconds: number;
}

async function loadOnce(browser: Browser, url: string, slow: boolean): Promise<Load> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (slow) await cdp.send('Network.emulateNetworkConditions', SLOW_LINK);
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (event: { encodedDataLength: number }) => {
      bytes += event.encodedDataLength;
      requests++;
    });
    await page.goto(`${url}?fast=1&autoplay=0&seed=1`);
    await page.waitForFunction(() => window.qdistill?.callMicroseconds != null || window.qdistill?.error, null, { timeout: 180_000 });
    const state = await page.evaluate(() => window.qdistill);
    if (state.error) throw new Error(state.error);
    return { bytes, requests, firstActionMs: state.firstActionMs!, callMicroseconds: state.callMicroseconds! };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => percentiles(xs).p50;

const workDir = mkdtempSync(join(tmpdir(), 'qdistill-web-bench-'));
const browser = await launchChromium();
const report: Record<string, unknown> = { model, runs, machine: `${process.platform} ${process.arch}, Node ${process.version}` };
try {
  for (const runtime of ['js', 'ort-wasm'] as PageRuntime[]) {
    const { out } = await exportWebSite({ model, runtime, out: join(workDir, runtime) });
    const plain = await serveFolder(out);
    const isolated = await serveFolder(out, { crossOriginIsolated: true });
    try {
      const row: Record<string, unknown> = {};
      for (const [label, url, slow] of [['loopback', plain.url, false], ['loopback, cross-origin isolated', isolated.url, false], ['10 Mbit/s', plain.url, true]] as const) {
        const loads: Load[] = [];
        for (let i = 0; i < (slow ? Math.min(runs, 2) : runs); i++) loads.push(await loadOnce(browser, url, slow));
        row[label] = {
          bytes: median(loads.map((l) => l.bytes)),
          requests: median(loads.map((l) => l.requests)),
          firstActionMsMedian: median(loads.map((l) => l.firstActionMs)),
          firstActionMsRuns: loads.map((l) => Math.round(l.firstActionMs)),
          callMicrosecondsMedian: median(loads.map((l) => l.callMicroseconds)),
        };
      }
      report[runtime] = row;
    } finally {
      await plain.close();
      await isolated.close();
    }
  }
  const js = report.js as Record<string, { bytes: number; firstActionMsMedian: number; callMicrosecondsMedian: number }>;
  const ort = report['ort-wasm'] as typeof js;
  report.ratios = {
    bytesOrtOverJs: ort.loopback.bytes / js.loopback.bytes,
    firstActionLoopbackOrtOverJs: ort.loopback.firstActionMsMedian / js.loopback.firstActionMsMedian,
    firstAction10MbitOrtOverJs: ort['10 Mbit/s'].firstActionMsMedian / js['10 Mbit/s'].firstActionMsMedian,
    callOrtOverJs: ort['loopback, cross-origin isolated'].callMicrosecondsMedian / js['loopback, cross-origin isolated'].callMicrosecondsMedian,
  };
} finally {
  await browser.close();
  rmSync(workDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
