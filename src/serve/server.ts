// Starts and stops a server: opens the policies, builds the web pages, listens; on close stops accepting,
// lets requests in flight finish, then disposes the policies and removes the pages.
import type { FastifyInstance } from 'fastify';
import { buildServeApp } from './app.js';
import { createServeMetrics, type ServeMetrics } from './metrics.js';
import { disposeServedModels, loadServedModels, type BatchingOptions, type ModelToServe, type ServedModel } from './models.js';
import { UsageError } from '../util/errors.js';
import { checkModelNames } from './names.js';
import { buildWebSites, type FileReading, type WebPageBuilder, type WebSites } from './web-pages.js';

/** Bytes budgeted per number in the default body limit ("-0.12345678901234567," is 21). */
const BYTES_PER_VALUE = 24;

/** Options of the server: the models, where to listen, batching and request limits. */
export interface ServeOptions {
  /** The models to serve, each by the name its URLs use. */
  models: ModelToServe[];
  /** Runtime for the models that name none themselves (default ort-cpu). */
  runtime?: string;
  /** Environment id for every model file without qdistill.env metadata (or to override it). */
  env?: string;
  /** How every model file is read: `output` names the graph output holding the Q-values, `allowFp16` accepts float16 files. */
  read?: FileReading;
  /** Address to listen on (serve(): 127.0.0.1). */
  host: string;
  /** 0 picks a free port (serve(): 8080). */
  port: number;
  /** Micro-batching of concurrent requests per model (serve(): on, 200 µs window, 64 observations). */
  batching: BatchingOptions;
  /** Most observations one request may carry; more is a 400 (serve(): 1024). */
  maxRequestBatch: number;
  /** Bytes; default: enough for maxRequestBatch observations of the largest model. */
  bodyLimit?: number;
  /** Builds each model's browser page to serve under /web/{name}/ (none without it). */
  webPages?: WebPageBuilder;
  /** Progress while the web pages are built. */
  onWebSite?: (done: number) => void;
}

/** A listening server; close() stops it. */
export interface RunningServer {
  /** The Fastify app (e.g. for inject() in tests). */
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  /** The models loaded, in the order given. */
  models: ServedModel[];
  /** The counters and histograms GET /metrics reports. */
  metrics: ServeMetrics;
  /** The request body limit in effect, in bytes. */
  bodyLimit: number;
  /** Model name → folder of its web page (empty without web pages). */
  webRoots: Map<string, string>;
  /** Stops accepting, lets requests in flight finish, disposes the policies and removes the pages; later calls return the same promise. */
  close(): Promise<void>;
}

/** 24 bytes per number for `maxRequestBatch` observations of `largestObservation` numbers, plus 64 KiB. */
export function defaultBodyLimit(maxRequestBatch: number, largestObservation: number): number {
  return maxRequestBatch * largestObservation * BYTES_PER_VALUE + 64 * 1024;
}

/** Opens the models, builds their pages and listens; a port in use or a bad host is a UsageError. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const metrics = createServeMetrics();
  const models = await loadServedModels(checkModelNames(options.models), { runtime: options.runtime, env: options.env, read: options.read, batching: options.batching, metrics });
  let sites: WebSites | null = null;
  try {
    if (options.webPages) sites = await buildWebSites(options.models, options.env, options.webPages, options.onWebSite, options.read);
    const bodyLimit = options.bodyLimit ?? defaultBodyLimit(options.maxRequestBatch, Math.max(...models.map((m) => m.observationSize)));
    const app = await buildServeApp({ models, metrics, bodyLimit, maxRequestBatch: options.maxRequestBatch, webRoots: sites?.roots });
    await listen(app, options.host, options.port);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        await app.close();
        await disposeServedModels(models);
        sites?.remove();
      })();
      return closing;
    };
    return { app, url: `http://${host}:${port}`, models, metrics, bodyLimit, webRoots: sites?.roots ?? new Map(), close };
  } catch (error) {
    await disposeServedModels(models);
    sites?.remove();
    throw error;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is already in use; pick another with --port`);
    if (code === 'EACCES') throw new UsageError(`no permission to listen on ${host}:${port}; pick a port above 1023`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on host '${host}' (not an address of this machine)`);
    throw error;
  }
}
