// Headless Chromium through playwright-core, for the `browser` runtime, `export web` and their tests.
// Debian's chromium is used (npx playwright install cannot run on machines without internet access);
// QDISTILL_CHROMIUM overrides the path.
import { existsSync } from 'node:fs';
import { UsageError } from './errors.js';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Flags that let Chromium use a GPU for WebGPU (the default flags disable it). */
export const CHROMIUM_GPU_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=vulkan',
];

export function chromiumPath(): string {
  return process.env.QDISTILL_CHROMIUM ?? '/usr/bin/chromium';
}

export function chromiumUnavailableReason(): string | null {
  const path = chromiumPath();
  return existsSync(path) ? null : `Chromium not found at ${path}: install it (apt-get install chromium) or set QDISTILL_CHROMIUM`;
}

export async function launchChromium(options: { gpu?: boolean } = {}) {
  const reason = chromiumUnavailableReason();
  if (reason) throw new UsageError(reason);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: options.gpu ? CHROMIUM_GPU_FLAGS : CHROMIUM_FLAGS });
}
