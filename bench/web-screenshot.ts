// Screenshots of exported sites for the README (docs/web-*.png), and what the page measured: each site is
// exported, served (cross-origin isolated, so performance.now() has 5 µs steps), played once at full speed
// to the end of an episode (return, steps, p50 inference time per step), then opened again at 1× and
// photographed mid-episode. Prints one JSON object.
//   node --import tsx bench/web-screenshot.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../src/util/chromium.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { exportWebSite } from '../src/export/web-site.js';
import { serveFolder } from '../test/support/static-server.js';

const SHOTS = [
  { model: 'models/cartpole-v1-student-16x16/student.onnx', png: 'docs/web-cartpole.png', playMs: 3000 },
  { model: 'models/lunarlander-v3/teacher.onnx', png: 'docs/web-lunarlander.png', playMs: 2600 },
];
const SEED = 1;

const workDir = mkdtempSync(join(tmpdir(), 'qdistill-shots-'));
const browser = await launchChromium();
const report: Record<string, unknown>[] = [];
try {
  for (const [i, shot] of SHOTS.entries()) {
    const { out } = await exportWebSite({ model: shot.model, out: join(workDir, String(i)) });
    const server = await serveFolder(out, { crossOriginIsolated: true });
    const page = await browser.newPage({ viewport: { width: 680, height: 820 } });
    try {
      await page.goto(`${server.url}?fast=1&autoplay=0&seed=${SEED}`);
      await page.waitForFunction(() => window.qdistill?.done || window.qdistill?.error, null, { timeout: 120_000 });
      const fast = (await page.evaluate(() => window.qdistill));
      if (fast.error) throw new Error(fast.error);

      await page.goto(`${server.url}?speed=1&autoplay=0&seed=${SEED}`);
      await page.waitForFunction(() => window.qdistill?.ready, null, { timeout: 60_000 });
      await page.waitForTimeout(shot.playMs);
      await page.click('#pause');
      const shown = (await page.evaluate(() => window.qdistill));
      writeFileAtomic(shot.png, await page.screenshot({ fullPage: true }));
      report.push({
        model: shot.model,
        seed: SEED,
        episodeReturn: fast.episodeReturn,
        steps: fast.steps,
        inferenceMsP50: fast.inferenceMsP50,
        inferenceMsMean: fast.inferenceMsMean,
        clockResolutionMs: fast.clockResolutionMs,
        screenshot: shot.png,
        screenshotAtStep: shown.steps,
      });
    } finally {
      await page.close();
      await server.close();
    }
  }
} finally {
  await browser.close();
  rmSync(workDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ browser: 'chromium (headless)', runtime: 'onnxruntime-web wasm, 1 thread', sites: report }, null, 2) + '\n');

