// The HTTP API over loaded models (fastify): act (v1) and the Open Inference Protocol (v2), model
// descriptions, health, metrics, and each model's web page. Every error is JSON `{"error": "..."}` with a 4xx
// status for what the client got wrong. Well-formed inference requests are answered before fastify by
// fast-path.ts; connections (keep-alive, pipelining, client errors, draining) are the tracker's
// (connections.ts); the token and rate limit are guard.ts's; every response carries isolation.ts's headers.
import fastifyStatic from '@fastify/static';
import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { escapeXml } from '../util/escape.js';
import { answerAct } from './act.js';
import { bodyCanBeSkipped, type ConnectionTracker } from './connections.js';
import { createFastPath, ROUTES } from './fast-path.js';
import { addAccessChecks, createAccessCheck, type AccessOptions } from './guard.js';
import { ISOLATION_HEADERS } from './isolation.js';
import type { ServeMetrics } from './metrics.js';
import { describeServedModel, type ServedModel } from './models.js';
import { addOpenInferenceRoutes } from './open-inference-routes.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import { SKIPPABLE_BODY_BYTES } from './limits.js';

/** Connection timeouts of the HTTP server, in milliseconds. */
export interface HttpTimeouts {
  /** For a request's headers, from its first byte (408 and close). */
  headersMs: number;
  /** For a whole request, headers and body (408 and close); at least headersMs. */
  requestMs: number;
  /** For an idle keep-alive connection between requests (closed). */
  keepAliveMs: number;
}

/** What the app serves and how: the models, metrics, limits, pages, connections, timeouts and access. */
export interface ServeAppOptions extends AccessOptions {
  models: ServedModel[];
  metrics: ServeMetrics;
  /** Largest request body in bytes (413 above). */
  bodyLimit: number;
  /** Most observations in one request (400 above). */
  maxRequestBatch: number;
  /** Model name → folder holding its exported web site, served under /web/{name}/. */
  webRoots?: Map<string, string>;
  /** The server's connections: told when an answer should close its connection, and given client errors. */
  connections: ConnectionTracker;
  timeouts: HttpTimeouts;
  /** Leave the model cards out of GET /v1/models and /v1/models/{name}. */
  hideCards?: boolean;
}

const ACT_SUFFIX = ':act';
const ACT_ROUTE = ROUTES.act;
const INFER_ROUTES = new Set<string>([ROUTES.infer, ROUTES.versionInfer]);

/** The fastify app for the loaded models, its routes, hooks and timeouts set, attached to `options.connections`; not listening yet. */
export async function buildServeApp(options: ServeAppOptions): Promise<FastifyInstance> {
  const { models, metrics } = options;
  const byName = new Map(models.map((m) => [m.name, m]));
  const { timeouts } = options;
  const access = createAccessCheck(options);
  const fastPath = createFastPath({ models, bodyLimit: options.bodyLimit, maxRequestBatch: options.maxRequestBatch, access, connections: options.connections, metrics });
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    // The server is made here so that the fast path sees each request first; fastify gets the ones it leaves.
    serverFactory: (handler) => {
      const server = createServer(
        // Node checks the header and request timeouts every connectionsCheckingInterval (30 s unless told).
        { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: checkingInterval(timeouts) },
        (request, response) => {
          if (!fastPath(request, response)) handler(request, response);
        },
      );
      server.keepAliveTimeout = timeouts.keepAliveMs;
      return server;
    },
    clientErrorHandler: (error, socket) => options.connections.onClientError(error, socket),
    // URLs the router cannot take (bad %-encoding, a name over 100 characters) never reach the hooks.
    frameworkErrors: (error, _request, genericReply) => {
      const reply = genericReply as FastifyReply;
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      metrics.response('unmatched', status);
      void reply.code(status).send({ error: status === 414 ? 'the path is too long' : 'the URL is not valid (bad %-encoding)' });
    },
  });
  options.connections.attach(app.server);
  // A client that half-closes after its last request still gets every answer: Node ends the socket at the
  // client's FIN unless this (undocumented, but what its own half-close handling reads) is set.
  (app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // Only JSON bodies: without a text/plain parser, fastify answers other content types with 415.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    void reply.code(status).send({ error: errorMessage(error, status, options.bodyLimit) });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `nothing at ${request.method} ${truncate(request.url)}` });
  });

  // Whether the connection stays open after an answer. fastify closes it after every body it could not read or
  // parse; one read to its end, or short enough to read and drop, leaves it usable for the next pipelined
  // request. A long or chunked body not read closes it, and so does a drain for a connection's newest request.
  // Callback hooks rather than async ones: no promise per request.
  const skippable = Math.max(options.bodyLimit, SKIPPABLE_BODY_BYTES);
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.headers(ISOLATION_HEADERS);
    const canSkip = bodyCanBeSkipped(request.raw, skippable);
    if (canSkip && reply.getHeader('connection') === 'close') reply.removeHeader('connection');
    if (!canSkip || options.connections.shouldClose(request.raw)) void reply.header('connection', 'close');
    done(null, payload);
  });

  addAccessChecks(app, access);

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.response(route, reply.statusCode);
    inferenceModel(request, route, byName)?.metrics.answered(reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  // Open to probes without a token (guard.ts); then it names no models.
  app.get('/healthz', async () => (options.authToken ? { status: 'ok' } : { status: 'ok', models: models.map((m) => m.name) }));

  app.get('/metrics', async (_request, reply) => {
    void reply.type(PROMETHEUS_CONTENT_TYPE);
    return metrics.registry.render();
  });

  const describe = { hideCard: options.hideCards };
  app.get('/v1/models', async () => ({ models: models.map((m) => describeServedModel(m, describe)) }));

  app.get<{ Params: { target: string } }>(ACT_ROUTE, async (request, reply) => {
    const model = byName.get(request.params.target);
    if (!model) return reply.code(404).send({ error: unknownModel(request.params.target, byName) });
    return describeServedModel(model, describe);
  });

  app.post<{ Params: { target: string } }>(ACT_ROUTE, async (request, reply) => {
    const { target } = request.params;
    if (!target.endsWith(ACT_SUFFIX)) {
      return reply.code(404).send({ error: `nothing at POST ${truncate(request.url)} (act is POST /v1/models/{name}:act)` });
    }
    const model = byName.get(target.slice(0, -ACT_SUFFIX.length));
    if (!model) return reply.code(404).send({ error: unknownModel(target.slice(0, -ACT_SUFFIX.length), byName) });
    const answer = await answerAct(model, request.body, options.maxRequestBatch);
    return reply.code(answer.status).send(answer.body);
  });

  addOpenInferenceRoutes(app, { byName, maxRequestBatch: options.maxRequestBatch });

  app.get('/', async (_request, reply) => {
    void reply.type('text/html; charset=utf-8');
    return indexPage(models, options.webRoots ?? new Map());
  });

  let first = true;
  for (const [name, root] of options.webRoots ?? []) {
    // @fastify/static refuses paths that leave `root` (.., encoded or not) before touching the disk;
    // the prefix without its trailing slash makes /web/{name} redirect to /web/{name}/.
    await app.register(fastifyStatic, { root, prefix: `/web/${name}`, decorateReply: first, redirect: true, index: 'index.html' });
    first = false;
  }
  return app;
}

/** Often enough that a timeout is enforced within a quarter of itself (at most 1 s late, at least every 50 ms). */
function checkingInterval(timeouts: HttpTimeouts): number {
  return Math.max(50, Math.min(1000, Math.round(Math.min(timeouts.headersMs, timeouts.requestMs) / 4)));
}

/** The served model an inference request (act or infer, any status) was for, for its metrics; else undefined. */
function inferenceModel(request: FastifyRequest, route: string, byName: Map<string, ServedModel>): ServedModel | undefined {
  if (request.method !== 'POST') return undefined;
  const params = request.params as { target?: string; name?: string };
  if (route === ACT_ROUTE) {
    const target = params.target ?? '';
    return target.endsWith(ACT_SUFFIX) ? byName.get(target.slice(0, -ACT_SUFFIX.length)) : undefined;
  }
  return INFER_ROUTES.has(route) ? byName.get(params.name ?? '') : undefined;
}

function unknownModel(name: string, byName: Map<string, ServedModel>): string {
  return `no model named '${truncate(name)}' (served: ${[...byName.keys()].join(', ')})`;
}

/** fastify's own messages, made specific where they are vague. */
function errorMessage(error: FastifyError, status: number, bodyLimit: number): string {
  if (status >= 500) return 'internal server error';
  if (status === 403) return "the path is not allowed (it leaves the page's folder, or holds a NUL byte)";
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported content type; send the body as application/json';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return `the body is larger than this server's limit of ${bodyLimit} bytes`;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'the body is not valid JSON';
  return error.message;
}

function truncate(text: string, length = 120): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

function indexPage(models: ServedModel[], webRoots: Map<string, string>): string {
  const items = models.map((m) => {
    const name = escapeXml(m.name);
    const page = webRoots.has(m.name) ? ` — <a href="/web/${name}/">play in the browser</a>` : '';
    return `<li><a href="/v1/models/${name}">${name}</a> (${escapeXml(m.policy.spec.id)}, ${m.parameters} parameters)${page}</li>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qdistill serve</title></head>
<body><h1>qdistill serve</h1>
<ul>${items.join('\n')}</ul>
<p>POST /v1/models/{name}:act with {"observation": [...]} · POST /v2/models/{name}/infer (Open Inference Protocol) · <a href="/v1/models">/v1/models</a> · <a href="/v2">/v2</a> · <a href="/metrics">/metrics</a> · <a href="/healthz">/healthz</a></p>
</body></html>
`;
}
