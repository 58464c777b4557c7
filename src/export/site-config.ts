// What an exported page reads from its index.html: shared by `export web` (Node) and web/main.ts (browser),
// so nothing here may import a Node module.

/** Embedded in index.html as JSON in <script type="application/json" id="qdistill-config">. */
export interface SiteConfig {
  env: string;
  /** Path of the model, relative to the page. */
  model: string;
  /** The file name the model had when exported, for the page title. */
  modelName: string;
  inputName: string;
  outputName: string;
  /** 'nchw': the file takes image observations channels-first, so the page transposes the env's HWC. */
  inputLayout: 'native' | 'nchw';
  observationShape: number[];
  /** onnxruntime-web's WebAssembly binary, relative to the page. */
  wasm: string;
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
