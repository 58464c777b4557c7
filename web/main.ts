// The exported page: plays the environment with the policy's greedy action, draws each frame on the canvas,
// and shows the return, the step count and the per-step inference time. Its state is on window.qdistill
// so tests (and curious users) can read it.
// The env, its renderer and the policy's runtime come from modules `export web` makes for each page
// (web/page-modules.d.ts), so a page bundles only its own env and runtime.
import { createEnv, renderer } from 'qdistill:page-env';
import { loadPolicy } from 'qdistill:page-policy';
import { SITE_CONFIG_ELEMENT_ID, type PageState, type SiteConfig } from '../src/export/site-config.js';
import type { BrowserPolicy } from './policy-types.js';
import type { Frame } from './renderers/types.js';

type Speed = PageState['speed'];

/** In 'max' mode each animation frame steps for this long, then draws once. */
const MAX_SPEED_FRAME_BUDGET_MS = 12;
const NEXT_EPISODE_DELAY_MS = 1500;

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const config: SiteConfig = JSON.parse(element(SITE_CONFIG_ELEMENT_ID).textContent ?? '{}');
const params = new URLSearchParams(location.search);
const env = createEnv();
const canvas = element<HTMLCanvasElement>('scene');
const ctx = canvas.getContext('2d')!;
const ui = {
  episodeReturn: element('return'),
  steps: element('steps'),
  inferenceLast: element('inference-last'),
  inferenceP50: element('inference-p50'),
  action: element('action'),
  status: element('status'),
  callTime: element('call-time'),
  episodes: element<HTMLOListElement>('episodes'),
  episodesSummary: element('episodes-summary'),
  pause: element<HTMLButtonElement>('pause'),
  reset: element<HTMLButtonElement>('reset'),
  speed: element<HTMLSelectElement>('speed'),
  seed: element<HTMLInputElement>('seed'),
  autoplay: element<HTMLInputElement>('autoplay'),
};

const state: PageState = {
  ready: false,
  error: null,
  env: config.env,
  seed: parseSeed(params.get('seed')) ?? 1,
  steps: 0,
  episodeReturn: 0,
  done: false,
  terminated: false,
  truncated: false,
  inferenceMsP50: null,
  inferenceMsMean: null,
  inferenceMsLast: null,
  clockResolutionMs: measureClockResolution(),
  actions: [],
  firstActionMs: null,
  callMicroseconds: null,
  timedCalls: 0,
  episodes: [],
  paused: false,
  speed: params.get('fast') === '1' ? 'max' : parseSpeed(params.get('speed')) ?? 1,
};
window.qdistill = state;

let frame: Frame = { env, observation: env.reset(state.seed), action: null, done: false };
let inferenceTimes: number[] = [];
/** How many inference times the shown p50 and mean were computed from. */
let timedSteps = 0;
let doneAt = 0;
let pendingReset: number | null = null;

/** Browsers coarsen performance.now() (0.1 ms in Chromium without cross-origin isolation, 5 µs with it). */
function measureClockResolution(): number {
  let smallest = Infinity;
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    let next = performance.now();
    while (next === start) next = performance.now();
    smallest = Math.min(smallest, next - start);
  }
  return Math.round(smallest * 1e4) / 1e4;
}

function parseSeed(value: string | null): number | null {
  const seed = Number(value);
  return value !== null && value.trim() !== '' && Number.isInteger(seed) && seed >= 0 ? seed : null;
}

function parseSpeed(value: string | null): Speed | null {
  if (value === 'max') return 'max';
  const speed = Number(value);
  return value !== null && Number.isFinite(speed) && speed > 0 ? speed : null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const formatMs = (ms: number | null) => (ms === null ? '–' : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
/** A reading (or median) of 0 or one clock step means "at most about one step"; say so instead of a number. */
const formatTimingMs = (ms: number | null) =>
  ms !== null && ms < 1.5 * state.clockResolutionMs ? `≤ ${formatMs(state.clockResolutionMs)}` : formatMs(ms);
const formatReturn = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function startEpisode(seed: number): void {
  state.seed = seed;
  ui.seed.value = String(seed);
  frame = { env, observation: env.reset(seed), action: null, done: false };
  Object.assign(state, { steps: 0, episodeReturn: 0, done: false, terminated: false, truncated: false });
  Object.assign(state, { inferenceMsP50: null, inferenceMsMean: null, inferenceMsLast: null });
  inferenceTimes = [];
  timedSteps = 0;
  state.actions = [];
}

async function stepOnce(policy: BrowserPolicy): Promise<void> {
  const decision = await policy.act(frame.observation);
  inferenceTimes.push(decision.inferenceMs);
  const result = env.step(decision.action);
  state.actions.push(decision.action);
  state.steps++;
  state.episodeReturn += result.reward;
  state.inferenceMsLast = decision.inferenceMs;
  state.firstActionMs ??= performance.now();
  frame = { env, observation: result.observation, action: decision.action, done: result.terminated || result.truncated };
  if (frame.done) {
    Object.assign(state, { done: true, terminated: result.terminated, truncated: result.truncated });
    state.episodes.push({ seed: state.seed, return: state.episodeReturn, steps: state.steps });
    showEpisode(state.episodes[state.episodes.length - 1]);
    doneAt = performance.now();
  }
}

/** Appends a finished episode to the page's list and updates the mean ± standard deviation above it. */
function showEpisode(episode: PageState['episodes'][number]): void {
  const item = document.createElement('li');
  item.textContent = `seed ${episode.seed}: return ${formatReturn(episode.return)} in ${episode.steps} steps`;
  ui.episodes.prepend(item);
  const returns = state.episodes.map((e) => e.return);
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  // The sample standard deviation, as `qdistill eval` reports it.
  const std = returns.length > 1 ? Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1)) : 0;
  ui.episodesSummary.textContent = `${returns.length} episode${returns.length === 1 ? '' : 's'}: mean return ${mean.toFixed(1)} ± ${std.toFixed(1)}`;
}

/** Calls timed back to back until this long has passed: long enough for any clock resolution. */
const CALL_TIMING_MS = 30;
const WARM_UP_CALLS = 20;

/**
 * The mean time of one policy call over many back-to-back calls on one observation, so the figure is
 * precise even where the browser rounds performance.now() to 0.1 ms (a page that is not cross-origin isolated).
 */
async function timePolicyCalls(policy: BrowserPolicy, observation: Float32Array): Promise<void> {
  // Untimed first: a runtime's first calls (a JIT tier-up, onnxruntime's first runs) are not its steady state.
  for (let i = 0; i < WARM_UP_CALLS; i++) await policy.act(observation);
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (calls < 10 || elapsed < CALL_TIMING_MS) {
    await policy.act(observation);
    calls++;
    elapsed = performance.now() - start;
  }
  state.callMicroseconds = (elapsed * 1000) / calls;
  state.timedCalls = calls;
  const micros = state.callMicroseconds;
  ui.callTime.textContent = `${micros < 1000 ? `${micros.toPrecision(3)} µs` : `${(micros / 1000).toFixed(2)} ms`} (${calls.toLocaleString('en-US')} calls)`;
}

function show(): void {
  // The timing figures change only when steps were taken: no sorting on frames of a paused or finished episode.
  if (timedSteps !== inferenceTimes.length) {
    timedSteps = inferenceTimes.length;
    state.inferenceMsP50 = median(inferenceTimes);
    state.inferenceMsMean = inferenceTimes.length ? inferenceTimes.reduce((a, b) => a + b, 0) / inferenceTimes.length : null;
  }
  renderer.draw(ctx, frame);
  ui.episodeReturn.textContent = formatReturn(state.episodeReturn);
  ui.steps.textContent = String(state.steps);
  ui.inferenceLast.textContent = formatTimingMs(state.inferenceMsLast);
  ui.inferenceP50.textContent = `${formatTimingMs(state.inferenceMsP50)} (mean ${formatMs(state.inferenceMsMean)})`;
  ui.action.textContent = frame.action === null ? '–' : renderer.actionNames[frame.action];
  ui.status.textContent = state.error
    ? `error: ${state.error}`
    : !state.ready
      ? 'loading…'
      : state.done
        ? state.truncated && !state.terminated ? 'done (time limit)' : 'done'
        : state.paused ? 'paused' : 'playing';
  ui.pause.textContent = state.paused ? 'play' : 'pause';
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

async function play(policy: BrowserPolicy): Promise<void> {
  let owedSteps = 0;
  let last = performance.now();
  for (;;) {
    const now = await nextFrame();
    // A hidden tab gets no frames for a while; do not try to catch up on all of them.
    const elapsedMs = Math.min(now - last, 100);
    last = now;
    if (pendingReset !== null) {
      startEpisode(pendingReset);
      pendingReset = null;
      owedSteps = 0;
    }
    if (state.done && ui.autoplay.checked && now - doneAt > NEXT_EPISODE_DELAY_MS) startEpisode(state.seed + 1);
    if (!state.paused && !state.done) {
      if (state.speed === 'max') {
        const until = performance.now() + MAX_SPEED_FRAME_BUDGET_MS;
        do await stepOnce(policy);
        while (!state.done && performance.now() < until);
      } else {
        owedSteps += (elapsedMs / 1000) * renderer.stepsPerSecond * state.speed;
        while (owedSteps >= 1 && !state.done) {
          owedSteps -= 1;
          await stepOnce(policy);
        }
      }
    }
    show();
    // Once, after the first action (so the time to it is not held up): the per-call figure.
    if (state.callMicroseconds === null && state.firstActionMs !== null) await timePolicyCalls(policy, frame.observation);
  }
}

function wireControls(): void {
  ui.seed.value = String(state.seed);
  ui.autoplay.checked = params.get('autoplay') !== '0';
  const speedOption = [...ui.speed.options].find((o) => o.value === String(state.speed));
  if (speedOption) ui.speed.value = speedOption.value;
  ui.pause.addEventListener('click', () => {
    state.paused = !state.paused;
  });
  ui.reset.addEventListener('click', () => {
    pendingReset = parseSeed(ui.seed.value) ?? state.seed;
  });
  ui.seed.addEventListener('change', () => {
    const seed = parseSeed(ui.seed.value);
    if (seed !== null) pendingReset = seed;
  });
  ui.speed.addEventListener('change', () => {
    state.speed = parseSpeed(ui.speed.value) ?? 1;
  });
}

async function start(): Promise<void> {
  wireControls();
  show();
  try {
    if (location.protocol === 'file:' && config.runtime !== 'js') throw new Error('open this page through a web server, not as a file (see below)');
    const policy = await loadPolicy(config, document.baseURI);
    state.ready = true;
    await play(policy);
  } catch (error) {
    state.error = (error as Error).message ?? String(error);
    console.error(error);
    show();
  }
}

void start();
