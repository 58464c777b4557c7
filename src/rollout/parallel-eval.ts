// Evaluation on worker_threads: each worker opens the policy file itself and plays the episodes it is handed,
// episode i always on deriveSeed(seed, i), so the returns — and their order — do not depend on the number
// of workers. Workers pull episode indices one at a time, which keeps them busy when episode lengths differ.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../util/worker.js';
import type { RuntimeOptions } from '../infer/runtime.js';
import type { GymEnvOptions } from '../gym/index.js';
import { meanStd, type EvalResult } from './evaluate.js';

export interface ParallelEvalOptions {
  episodes: number;
  seed: number;
  workers: number;
  /** Policy file and how to open it in the workers (a runtime name and an env id for files without metadata). */
  open: RuntimeOptions & { file: string; runtime?: string; env?: string; gym?: GymEnvOptions };
  onEpisode?: (done: number) => void;
}

export type WorkerRequest = { type: 'episode'; index: number } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready'; env: string }
  | { type: 'episode'; index: number; total: number; length: number }
  | { type: 'error'; message: string; usage: boolean };

export async function evaluatePolicyParallel(o: ParallelEvalOptions): Promise<EvalResult> {
  const returns: number[] = new Array(o.episodes);
  const lengths: number[] = new Array(o.episodes);
  let next = 0;
  let done = 0;
  let env = '';
  const count = Math.max(1, Math.min(o.workers, o.episodes));
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, () =>
        new Promise<void>((resolve, reject) => {
          const worker = startModuleWorker(import.meta.url, 'eval-worker', { workerData: { ...o.open, seed: o.seed }, stdout: false });
          workers.push(worker);
          const hand = () => worker.postMessage((next < o.episodes ? { type: 'episode', index: next++ } : { type: 'stop' }) satisfies WorkerRequest);
          worker.on('message', (reply: WorkerReply) => {
            if (reply.type === 'error') return reject(Object.assign(new Error(reply.message), { usage: reply.usage }));
            if (reply.type === 'ready') env = reply.env;
            else {
              returns[reply.index] = reply.total;
              lengths[reply.index] = reply.length;
              o.onEpisode?.(++done);
            }
            hand();
          });
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`evaluation worker exited with code ${code}`))));
        }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { env, episodes: o.episodes, seed: o.seed, ...meanStd(returns), returns, lengths };
}
