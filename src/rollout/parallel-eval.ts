// Evaluation on worker_threads: each worker opens the policy file itself and plays the episodes it is handed,
// episode i always on deriveSeed(seed, i), so the returns — and their order — do not depend on the number
// of workers. Workers pull episode indices one at a time, which keeps them busy when episode lengths differ.
import { Worker } from 'node:worker_threads';
import type { RuntimeOptions } from '../infer/runtime.js';
import { meanStd, type EvalResult } from './evaluate.js';

export interface ParallelEvalOptions {
  episodes: number;
  seed: number;
  workers: number;
  /** Policy file and how to open it in the workers (a runtime name and an env id for files without metadata). */
  open: RuntimeOptions & { file: string; runtime?: string; env?: string };
  onEpisode?: (done: number) => void;
}

export type WorkerRequest = { type: 'episode'; index: number } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready'; env: string }
  | { type: 'episode'; index: number; total: number; length: number }
  | { type: 'error'; message: string; usage: boolean };

/** The worker's entry: the built .js module, or under tsx (tests, development) a loader that imports the .ts source. */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./eval-worker.js', import.meta.url), { workerData, stdout: false });
  // Node 20 does not apply tsx's --import hooks to a worker's entry, so import the source through tsx's API.
  const source = JSON.stringify(new URL('./eval-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${source}, ${source}))`, { eval: true, execArgv: [], workerData, stdout: false });
}

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
          const worker = startWorker({ ...o.open, seed: o.seed });
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
