// Starts and stops a server: opens the policies, builds the web pages, listens; on close stops accepting,
// answers the requests already received (draining keep-alive and pipelined connections, connections.ts),
// then disposes the policies and removes the pages.
import type { FastifyInstance } from 'fastify';
import { checkAuthToken, checkHost, isLoopbackAddress } from './access.js';
import { buildServeApp, type HttpTimeouts } from './app.js';
import { trackConnections, type ConnectionTracker, type DrainResult } from './connections.js';
import { DRAIN_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT, REQUEST_TIMEOUT, type TimeoutLimit } from './limits.js';
import { createServeMetrics, type ServeMetrics } from './metrics.js';
import { disposeServedModels, loadServedModels, type BatchingOptions, type ModelToServe, type ServedModel } from './models.js';
import { UsageError } from '../util/errors.js';
import { checkModelNames } from './names.js';
import { buildWebSites, type FileReading, type WebPageBuilder, type WebSites } from './web-pages.js';

/** Bytes budgeted per number in the default body limit ("-0.12345678901234567," is 21). */
const BYTES_PER_VALUE = 24;

/** Connection timeouts in milliseconds; each defaults to its entry in limits.ts. */
export interface ServeTimeouts extends HttpTimeouts {
  /** How long close() waits for requests already received to be answered before it cuts the connections left (0: at once). */
  drainMs: number;
}

/** Options of the server: the models, where to listen, batching, request limits, timeouts and access. */
export interface ServeOptions {
  /** The models to serve, each by the name its URLs use. */
  models: ModelToServe[];
  /** Runtime for the models that name none themselves (default ort-cpu). */
  runtime?: string;
  /** Environment id for every model file without qdistill.env metadata (or to override it). */
  env?: string;
  /** How every model file is read: `output` names the graph output holding the Q-values, `allowFp16` accepts float16 files. */
  read?: FileReading;
  /** Address to listen on (serve(): 127.0.0.1); not empty. Anything but loopback is reachable from other machines. */
  host: string;
  /** 0 picks a free port (serve(): 8080). */
  port: number;
  /** Micro-batching of concurrent requests per model (serve(): on, 200 µs window, 64 observations). */
  batching: BatchingOptions;
  /** Most observations one request may carry; more is a 400 (serve(): 1024). */
  maxRequestBatch: number;
  /** Bytes; default: enough for maxRequestBatch observations of the largest model. */
  bodyLimit?: number;
  /** Header, request, keep-alive and drain timeouts in milliseconds (defaults: 10 s, 30 s, 5 s, 10 s). */
  timeouts?: Partial<ServeTimeouts>;
  /** Bearer token every request but GET /healthz must carry (16–4096 characters of RFC 6750's token alphabet); none: no auth. */
  authToken?: string;
  /** Requests per second each client address may make (token bucket, bursts of max(1, rate); over it 429 with Retry-After); none: no limit. */
  rateLimit?: number;
  /** Leave the model cards (command line, machine) out of GET /v1/models and out of the pages' model files. */
  hideCards?: boolean;
  /** Builds each model's browser page to serve under /web/{name}/ (none without it). */
  webPages?: WebPageBuilder;
  /**
   * Pages built already (model name → folder), served under /web/{name}/ instead of building them, and left in
   * place on close: how the workers of startCluster() share the pages their primary built once.
   */
  webRoots?: Record<string, string>;
  /** Progress while the web pages are built. */
  onWebSite?: (done: number) => void;
}

/** Options of RunningServer.close(). */
export interface CloseOptions {
  /** Overrides the drain timeout; on a close already under way, brings its deadline forward (0: cut now). */
  drainTimeoutMs?: number;
}

/** A listening server; close() stops it. */
export interface RunningServer {
  /** The Fastify app (e.g. for inject() in tests). */
  app: FastifyInstance;
  /** http://host:port */
  url: string;
  /** The address it listens on, as bound (0.0.0.0, ::, 127.0.0.1, …). */
  address: string;
  /** True when only this machine can reach it (a loopback address). */
  loopbackOnly: boolean;
  /** The models loaded, in the order given. */
  models: ServedModel[];
  /** The counters and histograms GET /metrics reports. */
  metrics: ServeMetrics;
  /** The request body limit in effect, in bytes. */
  bodyLimit: number;
  /** The timeouts in effect, in milliseconds. */
  timeouts: ServeTimeouts;
  /** Model name → folder of its web page (empty without web pages). */
  webRoots: Map<string, string>;
  /**
   * Stops accepting connections, answers every request already received (the newest on each connection with
   * `Connection: close`), closes idle connections, cuts what is left at the drain timeout, then disposes the
   * policies and removes the pages. Later calls return the same promise.
   */
  close(options?: CloseOptions): Promise<DrainResult>;
}

/** 24 bytes per number for `maxRequestBatch` observations of `largestObservation` numbers, plus 64 KiB. */
export function defaultBodyLimit(maxRequestBatch: number, largestObservation: number): number {
  return maxRequestBatch * largestObservation * BYTES_PER_VALUE + 64 * 1024;
}

/** The timeouts with defaults filled in; a UsageError for one out of its range or a request timeout below the header timeout. */
export function resolveTimeouts(given: Partial<ServeTimeouts> = {}): ServeTimeouts {
  const pick = (value: number | undefined, limit: TimeoutLimit, name: string) => {
    const ms = value ?? limit.defaultS * 1000;
    if (!Number.isFinite(ms) || ms < limit.minS * 1000 || ms > limit.maxS * 1000) {
      throw new UsageError(`the ${name} timeout must be ${limit.minS} to ${limit.maxS} s (got ${ms / 1000} s)`);
    }
    return Math.round(ms);
  };
  const timeouts = {
    headersMs: pick(given.headersMs, HEADERS_TIMEOUT, 'headers'),
    requestMs: pick(given.requestMs, REQUEST_TIMEOUT, 'request'),
    keepAliveMs: pick(given.keepAliveMs, KEEP_ALIVE_TIMEOUT, 'keep-alive'),
    drainMs: pick(given.drainMs, DRAIN_TIMEOUT, 'drain'),
  };
  if (timeouts.requestMs < timeouts.headersMs) {
    throw new UsageError(`the request timeout (${timeouts.requestMs / 1000} s) must be at least the headers timeout (${timeouts.headersMs / 1000} s): the headers are part of the request`);
  }
  return timeouts;
}

/**
 * The checks startServer() makes before it opens anything — the host, the timeouts, the token, the rate limit,
 * the model names — as UsageErrors; returns the timeouts with their defaults.
 */
export function checkServeOptions(options: ServeOptions): ServeTimeouts {
  checkHost(options.host);
  const timeouts = resolveTimeouts(options.timeouts);
  if (options.authToken !== undefined) checkAuthToken(options.authToken, 'authToken');
  if (options.rateLimit !== undefined && !(options.rateLimit > 0 && Number.isFinite(options.rateLimit))) {
    throw new UsageError(`the rate limit must be a positive number of requests per second (got ${options.rateLimit})`);
  }
  checkModelNames(options.models);
  return timeouts;
}

/** Opens the models, builds their pages and listens; a port in use, a bad host, timeout, token or rate is a UsageError. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const timeouts = checkServeOptions(options);
  const metrics = createServeMetrics();
  const models = await loadServedModels(options.models, { runtime: options.runtime, env: options.env, read: options.read, batching: options.batching, metrics });
  let sites: WebSites | null = null;
  let connections: ConnectionTracker | null = null;
  try {
    if (options.webRoots) sites = { roots: new Map(Object.entries(options.webRoots)), remove: () => {} };
    else if (options.webPages) sites = await buildWebSites(options.models, options.env, options.webPages, options.onWebSite, options.read, { hideCards: options.hideCards });
    const bodyLimit = options.bodyLimit ?? defaultBodyLimit(options.maxRequestBatch, Math.max(...models.map((m) => m.observationSize)));
    connections = trackConnections({
      headersTimeoutMs: timeouts.headersMs,
      requestTimeoutMs: timeouts.requestMs,
      onAnswer: (status) => metrics.response('unmatched', status),
    });
    const app = await buildServeApp({
      models,
      metrics,
      bodyLimit,
      maxRequestBatch: options.maxRequestBatch,
      webRoots: sites?.roots,
      connections,
      timeouts,
      authToken: options.authToken,
      rateLimit: options.rateLimit,
      hideCards: options.hideCards,
    });
    await listen(app, options.host, options.port);
    const bound = app.server.address();
    const address = typeof bound === 'object' && bound ? bound.address : options.host;
    const port = typeof bound === 'object' && bound ? bound.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const tracker = connections;
    let closing: Promise<DrainResult> | null = null;
    const close = (closeOptions: CloseOptions = {}) => {
      if (closing) {
        if (closeOptions.drainTimeoutMs !== undefined) tracker.shorten(closeOptions.drainTimeoutMs);
        return closing;
      }
      closing = (async () => {
        const drained = await tracker.drain(closeOptions.drainTimeoutMs ?? timeouts.drainMs);
        // No connection is left: this only runs fastify's onClose hooks and stops Node's timeout checks.
        await app.close();
        await disposeServedModels(models);
        sites?.remove();
        return drained;
      })();
      return closing;
    };
    return {
      app,
      url: `http://${host}:${port}`,
      address,
      loopbackOnly: isLoopbackAddress(address),
      models,
      metrics,
      bodyLimit,
      timeouts,
      webRoots: sites?.roots ?? new Map(),
      close,
    };
  } catch (error) {
    connections?.detach();
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
