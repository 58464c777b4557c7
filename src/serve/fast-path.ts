// The hot routes — POST /v1/models/{name}:act and POST /v2/models/{name}[/versions/1]/infer — answered on
// node:http directly, before fastify sees the request.
//
// Why by hand: on a single-observation act for a small policy, fastify's per-request machinery (request and
// reply objects, the router, content-type parsing, the hook chain, serialization) cost about as much as the
// JSON, the inference and the answer together (docs/serve.md, "Speed"). Only requests that are plainly well
// formed take this path: the exact URL of a served model (no query string, no %-encoding), a JSON content
// type, a declared length within the body limit, no chunked body, and access granted. Everything else —
// refusals (401, 413, 415, 429), odd URLs, errors fastify words — goes to fastify, which answers it as
// before. What both paths do for a request is shared: the access check (guard.ts, counted once), the answer
// (answers.ts), the metrics, the connection handling of connections.ts and the headers of isolation.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerAct } from './act.js';
import type { Answer } from './answers.js';
import type { ConnectionTracker } from './connections.js';
import type { AccessCheck } from './guard.js';
import { ISOLATION_HEADER_LIST } from './isolation.js';
import { parseJsonBody } from './json-body.js';
import type { ServeMetrics } from './metrics.js';
import type { ServedModel } from './models.js';
import { answerInfer, MODEL_VERSION } from './open-inference.js';

/** Route patterns as fastify names them in metrics (app.ts registers the same). */
export const ROUTES = {
  act: '/v1/models/:target',
  infer: '/v2/models/:name/infer',
  versionInfer: '/v2/models/:name/versions/:version/infer',
} as const;

/** What the fast path needs of the server. */
export interface FastPathOptions {
  models: ServedModel[];
  /** Largest body taken, in bytes; larger ones go to fastify (413). */
  bodyLimit: number;
  /** Most observations in one request. */
  maxRequestBatch: number;
  /** The token and rate limit, or null. */
  access: AccessCheck | null;
  connections: ConnectionTracker;
  metrics: ServeMetrics;
}

/** Answers `request` and returns true, or returns false without touching it, for fastify to answer. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

interface HotRoute {
  model: ServedModel;
  /** The route pattern for metrics. */
  route: string;
  answer: (model: ServedModel, body: unknown, maxRequestBatch: number) => Promise<Answer>;
}

/** fastify parses these as JSON too (it lower-cases the media type); other spellings go to it. */
const JSON_CONTENT_TYPE = /^application\/json\s*(?:;\s*charset=utf-8\s*)?$/i;
const INVALID_JSON = JSON.stringify({ error: 'the body is not valid JSON' });

/** The fast path for `options.models`. */
export function createFastPath(options: FastPathOptions): FastPath {
  const routes = new Map<string, HotRoute>();
  for (const model of options.models) {
    routes.set(`/v1/models/${model.name}:act`, { model, route: ROUTES.act, answer: answerAct });
    routes.set(`/v2/models/${model.name}/infer`, { model, route: ROUTES.infer, answer: answerInfer });
    routes.set(`/v2/models/${model.name}/versions/${MODEL_VERSION}/infer`, { model, route: ROUTES.versionInfer, answer: answerInfer });
  }
  const { access, connections, metrics, bodyLimit, maxRequestBatch } = options;

  function send(request: IncomingMessage, response: ServerResponse, hot: HotRoute, started: number, status: number, json: string): void {
    // A client error (a 408 for a body that came too slowly) may have answered it already, or the socket gone.
    if (response.headersSent || response.destroyed) return;
    const headers: (string | number)[] = ['content-type', 'application/json; charset=utf-8', 'content-length', Buffer.byteLength(json), ...ISOLATION_HEADER_LIST];
    if (connections.shouldClose(request)) headers.push('connection', 'close');
    response.writeHead(status, headers);
    response.end(json);
    metrics.response(hot.route, status);
    hot.model.metrics.answered(status, (performance.now() - started) / 1000);
  }

  return (request, response) => {
    if (request.method !== 'POST') return false;
    const hot = routes.get(request.url ?? '');
    if (!hot) return false;
    const { headers } = request;
    if (headers['transfer-encoding'] !== undefined || !JSON_CONTENT_TYPE.test(headers['content-type'] ?? '')) return false;
    const length = Number(headers['content-length']);
    if (!(length > 0 && length <= bodyLimit)) return false;
    if (access && access.check(request) !== null) return false;
    const started = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: unknown;
      try {
        body = parseJsonBody((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8'));
      } catch {
        send(request, response, hot, started, 400, INVALID_JSON);
        return;
      }
      hot.answer(hot.model, body, maxRequestBatch).then(
        (answer) => send(request, response, hot, started, answer.status, JSON.stringify(answer.body)),
        () => send(request, response, hot, started, 500, JSON.stringify({ error: 'internal server error' })),
      );
    });
    // A connection reset while the body arrives: there is no one left to answer.
    request.on('error', () => {});
    return true;
  };
}
