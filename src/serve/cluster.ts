// `serve --workers N`: N worker processes (node:cluster), each with its own copy of every model, sharing one
// port. The primary checks the options and model files, builds the web pages once, starts the workers and
// waits until all listen; a worker that cannot start fails the whole start with its one line. Later, a
// worker that dies is replaced (restart-policy.ts: backoff, and a limit past which the server stops), each
// death said in one line. close() drains every worker at once (requests received are answered) and
// resolves when all have exited.
//
// Node's cluster deals connections round-robin from the primary, so a keep-alive connection stays with the
// worker that accepted it. Each worker keeps its own metrics and rate-limit buckets (docs/serve.md).
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { RUNTIME_NAMES } from '../infer/runtime-names.js';
import { decodeModel } from '../onnx/model.js';
import { readModelBytes } from '../onnx/read-bytes.js';
import { describePolicyFile } from '../policy/file.js';
import { UsageError } from '../util/errors.js';
import { isLoopbackAddress } from './access.js';
import { isMessage, type LoadedModelSummary, type WorkerMessage, type WorkerServeOptions } from './cluster-messages.js';
import type { DrainResult } from './connections.js';
import { gymSettings } from '../gym/index.js';
import { createRestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { checkServeOptions, type CloseOptions, type ServeOptions, type ServeTimeouts } from './server.js';
import { buildWebSites, type WebSites } from './web-pages.js';

/** Options of startCluster(): the server's, the number of workers, and what to tell the user. */
export interface ClusterOptions extends ServeOptions {
  /** Worker processes, at least 2 (one runs in-process with startServer()). */
  workers: number;
  /** Told one line per event a person should know of (a worker died, was replaced, the server gives up). */
  onLog?: (line: string) => void;
  /** How dead workers are replaced (defaults: restart-policy.ts). */
  restart?: RestartPolicyOptions;
}

/** A worker process as the primary knows it. */
export interface WorkerSummary {
  /** node:cluster's id: 1, 2, … in the order started (a replacement gets a new one). */
  id: number;
  pid: number;
}

/** The running workers; close() stops them. */
export interface RunningCluster {
  /** http://host:port */
  url: string;
  /** The address the workers listen on, as bound. */
  address: string;
  /** True when only this machine can reach it. */
  loopbackOnly: boolean;
  /** The models the workers loaded, in the order given. */
  models: LoadedModelSummary[];
  /** The request body limit in effect, in bytes. */
  bodyLimit: number;
  /** The timeouts in effect, in milliseconds. */
  timeouts: ServeTimeouts;
  /** The workers listening now. */
  workers(): WorkerSummary[];
  /** Resolves with one line if the workers died more often than the restart policy allows (then all are stopped). */
  failed: Promise<string>;
  /**
   * Drains every worker (each answers what it has received; see RunningServer.close) and resolves with the
   * sum of their drains once all have exited; a second call brings the deadline forward.
   */
  close(options?: CloseOptions): Promise<DrainResult>;
}

interface Slot {
  worker: Worker;
  listening: boolean;
  drained: DrainResult | null;
}

const WORKER_ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './cluster-worker.ts' : './cluster-worker.js', import.meta.url));

/** Starts `options.workers` workers serving `options`; a bad option, file or model is a UsageError, with no worker left running. */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  if (!Number.isInteger(options.workers) || options.workers < 2) throw new UsageError(`a cluster needs at least 2 workers (got ${options.workers}); one runs in-process`);
  if (!cluster.isPrimary) throw new Error('startCluster() runs in a primary process');
  const timeouts = checkServeOptions(options);
  checkModelFiles(options);
  const log = options.onLog ?? (() => {});
  let sites: WebSites | null = null;
  if (options.webPages) sites = await buildWebSites(options.models, options.env, options.webPages, options.onWebSite, options.read, { hideCards: options.hideCards });
  const { webPages: _builder, onWebSite: _progress, onLog: _log, restart: _restart, workers: count, ...serve } = options;
  const workerOptions: WorkerServeOptions = {
    ...serve,
    ...(sites ? { webRoots: Object.fromEntries(sites.roots) } : {}),
    // Connections are dealt round-robin: each worker allows its share, so a client never gets more in all.
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit / count } : {}),
  };

  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
  const slots = new Map<number, Slot>();
  const policy = createRestartPolicy(options.restart);
  let stopping: Promise<DrainResult> | null = null;
  let giveUp!: (line: string) => void;
  const failed = new Promise<string>((resolve) => (giveUp = resolve));

  type Listening = Extract<WorkerMessage, { type: 'listening' }>;

  /**
   * Forks a worker; `ready` resolves when it listens and rejects with its one line if it cannot start. A
   * replacement (not `initial`) that dies, before or after listening, is replaced in turn, within the policy.
   */
  function fork(initial: boolean): { worker: Worker; ready: Promise<Listening> } {
    const worker = cluster.fork();
    const slot: Slot = { worker, listening: false, drained: null };
    slots.set(worker.id, slot);
    const ready = new Promise<Listening>((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isMessage(message)) return;
        const said = message as WorkerMessage;
        if (said.type === 'ready') {
          worker.send({ type: 'start', options: workerOptions, gym: gymSettings() });
        } else if (said.type === 'listening') {
          slot.listening = true;
          resolve(said);
        } else if (said.type === 'failed') {
          reject(said.usage ? new UsageError(said.message) : new Error(`worker ${worker.id} could not start: ${said.message}`));
        } else if (said.type === 'drained') {
          slot.drained = said.result;
        }
      });
      worker.once('exit', (code, signal) => {
        slots.delete(worker.id);
        reject(new Error(`worker ${worker.id} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}) before it listened`));
        if (!stopping && (slot.listening || !initial)) replace(worker, code, signal);
      });
    });
    return { worker, ready };
  }

  function replace(dead: Worker, code: number | null, signal: string | null): void {
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const decision = policy.died();
    if (!decision.restart) {
      const line = `worker ${dead.id} (pid ${dead.process.pid}) died (${how}): ${decision.recent} deaths within a minute, more than the ${decision.maxRestarts} restarts allowed; stopping`;
      log(line);
      void close({ drainTimeoutMs: timeouts.drainMs }).then(() => giveUp(line));
      return;
    }
    log(`worker ${dead.id} (pid ${dead.process.pid}) died (${how}); starting another in ${decision.delayMs / 1000} s (restart ${decision.recent} of at most ${decision.maxRestarts} a minute)`);
    setTimeout(() => {
      if (stopping) return;
      const { worker, ready } = fork(false);
      ready.then(
        () => log(`worker ${worker.id} (pid ${worker.process.pid}) listening`),
        (error: unknown) => log(`worker ${worker.id} (pid ${worker.process.pid}) could not start: ${(error as Error).message}`),
      );
    }, decision.delayMs);
  }

  function close(closeOptions: CloseOptions = {}): Promise<DrainResult> {
    if (stopping) {
      for (const { worker } of slots.values()) if (worker.isConnected()) worker.send({ type: 'drain', drainTimeoutMs: closeOptions.drainTimeoutMs ?? 0 });
      return stopping;
    }
    const all = [...slots.values()];
    stopping = Promise.all(
      all.map(
        (slot) =>
          new Promise<DrainResult>((resolve) => {
            slot.worker.once('exit', () => resolve(slot.drained ?? { connections: 0, cut: 0 }));
            if (slot.worker.isConnected()) slot.worker.send({ type: 'drain', ...(closeOptions.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: closeOptions.drainTimeoutMs }) });
            else slot.worker.kill('SIGKILL');
          }),
      ),
    ).then((results) => {
      sites?.remove();
      return results.reduce((sum, r) => ({ connections: sum.connections + r.connections, cut: sum.cut + r.cut }), { connections: 0, cut: 0 });
    });
    return stopping;
  }

  let first: Listening;
  try {
    [first] = await Promise.all(Array.from({ length: count }, () => fork(true).ready));
  } catch (error) {
    // Every worker reads the same files: the first one to fail says why; the others are stopped quietly.
    stopping = Promise.resolve({ connections: 0, cut: 0 });
    const left = [...slots.values()].map(({ worker }) => worker);
    for (const worker of left) worker.kill('SIGKILL');
    await Promise.all(left.map((worker) => new Promise((resolve) => (worker.isDead() ? resolve(null) : worker.once('exit', resolve)))));
    sites?.remove();
    throw error;
  }
  return {
    url: first.url,
    address: first.address,
    loopbackOnly: isLoopbackAddress(first.address),
    models: first.models,
    bodyLimit: first.bodyLimit,
    timeouts,
    workers: () => [...slots.values()].filter((s) => s.listening).map(({ worker }) => ({ id: worker.id, pid: worker.process.pid! })),
    failed,
    close,
  };
}

/**
 * What can be checked of the model files without loading a runtime, before any worker is forked: that each
 * names a known runtime, can be read and decoded, and fits its environment. A file that fails is one
 * UsageError, as it would be in one process; what only a runtime finds (it is not available here, it cannot
 * load the model) is a worker's to say. The primary loads no runtime itself: it holds no model.
 */
function checkModelFiles(options: ServeOptions): void {
  for (const { file, runtime = options.runtime ?? 'ort-cpu' } of options.models) {
    if (!(RUNTIME_NAMES as readonly string[]).includes(runtime)) throw new UsageError(`unknown runtime '${runtime}' (known: ${RUNTIME_NAMES.join(', ')})`);
    const model = decodeModel(readModelBytes(file), file);
    describePolicyFile(model, file, options.env, { output: options.read?.output, allowFp16: options.read?.allowFp16 });
  }
}
