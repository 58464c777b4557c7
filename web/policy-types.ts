// What the page asks of a policy, whichever runtime runs it (web/policy-js.ts, web/policy-ort.ts).
import type { SiteConfig } from '../src/export/site-config.js';

export interface Decision {
  action: number;
  /** Wall time of the call, in milliseconds (the browser rounds performance.now(), often to 0.1 ms). */
  inferenceMs: number;
}

export interface BrowserPolicy {
  /** The greedy action for one observation in the env's layout, and how long the call took. */
  act(observation: Float32Array): Promise<Decision>;
}

/** Loads the page's policy; `baseUrl` is the page's URL, for the files an onnxruntime-web page fetches. */
export type PolicyLoader = (config: SiteConfig, baseUrl: string) => Promise<BrowserPolicy>;
