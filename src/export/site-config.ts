// What an exported page reads from its index.html: shared by `export web` (Node) and web/main.ts (browser),
// so nothing here may import a Node module.

/** What runs the policy in the page: the compiled js policy (no wasm, works from file://) or onnxruntime-web. */
export type PageRuntime = 'js' | 'ort-wasm' | 'ort-webgpu';

/** Embedded in index.html as JSON in <script type="application/json" id="qdistill-config">. */
export interface SiteConfig {
  env: string;
  runtime: PageRuntime;
  /** Path of the model, relative to the page (onnxruntime-web pages; the js page carries its policy inline). */
  model: string | null;
  /** The file name the model had when exported, for the page title. */
  modelName: string;
  inputName: string;
  outputName: string;
  /** 'nchw': the file takes image observations channels-first, so the page transposes the env's HWC. */
  inputLayout: 'native' | 'nchw';
  observationShape: number[];
  /** onnxruntime-web's WebAssembly binary, relative to the page (null for the js page). */
  wasm: string | null;
}

export const SITE_CONFIG_ELEMENT_ID = 'qdistill-config';

/** What an exported page shows, also on window.qdistill for tests and scripts. */
export interface PageState {
  ready: boolean;
  error: string | null;
  env: string;
  seed: number;
  steps: number;
  episodeReturn: number;
  done: boolean;
  terminated: boolean;
  truncated: boolean;
  /** Median and mean session.run time over the episode so far, in milliseconds. */
  inferenceMsP50: number | null;
  inferenceMsMean: number | null;
  inferenceMsLast: number | null;
  /** The smallest step of performance.now(): 0.1 ms in Chromium unless the page is cross-origin isolated (5 µs). */
  clockResolutionMs: number;
  /** Actions of the current episode, in order. */
  actions: number[];
  /** When the first action was taken, in ms since the navigation started (performance.now()). */
  firstActionMs: number | null;
  /**
   * Mean time of one policy call in microseconds, timed over many back-to-back calls after the first action:
   * precise whatever the clock's resolution. Null until measured.
   */
  callMicroseconds: number | null;
  /** How many calls callMicroseconds was timed over. */
  timedCalls: number;
  /** Finished episodes, oldest first. */
  episodes: Array<{ seed: number; return: number; steps: number }>;
  paused: boolean;
  /** Speed multiplier of the env's natural step rate, or 'max': as many steps as fit in each frame. */
  speed: number | 'max';
}

declare global {
  interface Window {
    qdistill: PageState;
  }
}
