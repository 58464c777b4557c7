// Serving with pages: the serve stage started with the export stage's web-site builder, so that each model's
// browser page is served under /web/{name}/ — in this process (serve) or by N worker processes (serveCluster).
import { exportWeb, NoBrowserEnvError, type ExportWebOptions } from '../export/index.js';
import {
  DEFAULT_MAX_REQUEST_BATCH,
  startCluster,
  startServer,
  type ClusterOptions,
  type RunningCluster,
  type RunningServer,
  type ServeOptions,
  type WebPageBuilder,
} from '../serve/index.js';
import { DEFAULT_BATCH_WINDOW_US, DEFAULT_MAX_BATCH } from '../util/batching-defaults.js';

/** Options of serve(): ServeOptions with host, port, batching and request limit defaulted, and pages on or off. */
export interface ServeRequest extends Omit<ServeOptions, 'webPages' | 'host' | 'port' | 'batching' | 'maxRequestBatch'>, Partial<Pick<ServeOptions, 'host' | 'port' | 'batching' | 'maxRequestBatch'>> {
  /** Build and serve each model's browser page (default true). */
  web?: boolean;
  /** What runs the policy on the pages: export web's --runtime (default 'auto': the compiled js policy where the model compiles). */
  webRuntime?: ExportWebOptions['runtime'];
}

/** Options of serveCluster(): serve()'s, with the number of worker processes and where their news goes. */
export interface ClusterRequest extends ServeRequest, Pick<ClusterOptions, 'workers' | 'onLog' | 'restart'> {}

/**
 * Serves the policies over HTTP (POST /v1/models/{name}:act, the Open Inference Protocol under /v2, GET
 * /v1/models, /healthz, /metrics, pages under /web/{name}/) on 127.0.0.1:8080 unless told otherwise, with the
 * timeouts of src/serve/limits.ts, no token and no rate limit unless given; `close()` on the result drains
 * and stops it.
 */
export function serve(request: ServeRequest): Promise<RunningServer> {
  return startServer(serveOptions(request));
}

/** serve() with `workers` processes sharing the port (at least 2), each with its own copy of the models; the pages are built once. */
export function serveCluster(request: ClusterRequest): Promise<RunningCluster> {
  const { workers, onLog, restart, ...rest } = request;
  return startCluster({ ...serveOptions(rest), workers, onLog, restart });
}

function serveOptions(request: ServeRequest): ServeOptions {
  const { web = true, webRuntime, ...rest } = request;
  return {
    host: '127.0.0.1',
    port: 8080,
    batching: { enabled: true, batchWindowUs: DEFAULT_BATCH_WINDOW_US, maxBatch: DEFAULT_MAX_BATCH },
    maxRequestBatch: DEFAULT_MAX_REQUEST_BATCH,
    ...rest,
    webPages: web ? webPageBuilder(webRuntime) : undefined,
  };
}

/** The export stage's page builder on `runtime`; a model whose env runs in Python (gym:) is served without a page. */
function webPageBuilder(runtime: ExportWebOptions['runtime']): WebPageBuilder {
  return ({ file, env, out, output, allowFp16 }) =>
    exportWeb({ model: file, env, out, output, allowFp16, runtime }).catch((error: unknown) => {
      if (error instanceof NoBrowserEnvError) return null;
      throw error;
    });
}
