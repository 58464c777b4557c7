// Starts and stops a server: opens the policies, builds the web pages, listens; on close stops accepting,
// lets requests in flight finish, then disposes the policies and removes the pages.
import type { FastifyInstance } from 'fastify';
import { buildServeApp } from './app.js';
import { createServeMetrics, type ServeMetrics } from './metrics.js';
import { disposeServedModels, loadServedModels, type BatchingOptions, type ModelToServe, type ServedModel } from './models.js';
import { UsageError } from '../util/errors.js';
import { buildWebSites, type WebPageBuilder, type WebSites } from './web-pages.js';

import { DEFAULT_MAX_REQUEST_BATCH } from './limits.js';
/** Bytes budgeted per number in the default body limit ("-0.12345678901234567," is 21). */
const BYTES_PER_VALUE = 24;

export interface ServeOptions {
  models: ModelToServe[];
  /** Runtime for the models that name none themselves (default ort-cpu). */
  runtime?: string;
  env?: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  batching: BatchingOptions;
  maxRequestBatch: number;
  /** Bytes; default: enough for maxRequestBatch observations of the largest model. */
  bodyLimit?: number;
  /** Builds each model's browser page to serve under /web/{name}/ (none without it). */
  webPages?: WebPageBuilder;
  /** Progress while the web pages are built. */
  onWebSite?: (done: number) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  models: ServedModel[];
  metrics: ServeMetrics;
  bodyLimit: number;
  /** Model name → folder of its web page (empty without web pages). */
  webRoots: Map<string, string>;
  close(): Promise<void>;
}

export function defaultBodyLimit(maxRequestBatch: number, largestObservation: number): number {
  return maxRequestBatch * largestObservation * BYTES_PER_VALUE + 64 * 1024;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const metrics = createServeMetrics();
  const models = await loadServedModels(options.models, { runtime: options.runtime, env: options.env, batching: options.batching, metrics });
  let sites: WebSites | null = null;
  try {
    if (options.webPages) sites = await buildWebSites(options.models, options.env, options.webPages, options.onWebSite);
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
