// Serving with pages: the serve stage started with the export stage's web-site builder, so that each model's
// browser page is served under /web/{name}/.
import { exportWeb, NoBrowserEnvError } from '../export/index.js';
import { DEFAULT_MAX_REQUEST_BATCH, startServer, type RunningServer, type ServeOptions } from '../serve/index.js';

/** Options of serve(): ServeOptions with host, port, batching and request limit defaulted, and pages on or off. */
export interface ServeRequest extends Omit<ServeOptions, 'webPages' | 'host' | 'port' | 'batching' | 'maxRequestBatch'>, Partial<Pick<ServeOptions, 'host' | 'port' | 'batching' | 'maxRequestBatch'>> {
  /** Build and serve each model's browser page (default true). */
  web?: boolean;
}

/**
 * Serves the policies over HTTP (POST /v1/models/{name}:act, GET /v1/models, /healthz, /metrics, pages under
 * /web/{name}/) on 127.0.0.1:8080 unless told otherwise, with the timeouts of src/serve/limits.ts, no token
 * and no rate limit unless given; `close()` on the result drains and stops it.
 */
export function serve(request: ServeRequest): Promise<RunningServer> {
  const { web = true, ...rest } = request;
  return startServer({
    host: '127.0.0.1',
    port: 8080,
    batching: { enabled: true, batchWindowUs: 200, maxBatch: 64 },
    maxRequestBatch: DEFAULT_MAX_REQUEST_BATCH,
    ...rest,
    // A model whose env runs in Python (gym:) is served without a page.
    webPages: web
      ? ({ file, env, out, output, allowFp16 }) =>
          exportWeb({ model: file, env, out, output, allowFp16 }).catch((error: unknown) => {
            if (error instanceof NoBrowserEnvError) return null;
            throw error;
          })
      : undefined,
  });
}
