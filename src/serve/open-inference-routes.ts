// The Open Inference Protocol's (KServe v2) REST endpoints as fastify routes: health, server and model
// metadata, model readiness and infer. Well-formed infer requests usually reach fast-path.ts first; these
// routes answer the rest the same way. Errors are `{"error": "..."}`: 400 for a bad request, 404 for a
// model or version that is not served.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TOOL_VERSION } from '../util/version.js';
import { ROUTES } from './fast-path.js';
import type { ServedModel } from './models.js';
import { answerInfer, MODEL_VERSION, modelMetadata } from './open-inference.js';

/** What the v2 routes need of the server. */
export interface OpenInferenceRouteOptions {
  byName: Map<string, ServedModel>;
  maxRequestBatch: number;
}

type ModelParams = { Params: { name: string; version?: string } };

/** Registers the v2 routes on `app`. */
export function addOpenInferenceRoutes(app: FastifyInstance, options: OpenInferenceRouteOptions): void {
  const { byName } = options;

  /** The model the URL names, or a 404 sent (unknown name, or a version other than the one there is). */
  function served(params: { name: string; version?: string }, reply: FastifyReply): ServedModel | null {
    const model = byName.get(params.name);
    if (!model) {
      void reply.code(404).send({ error: `no model named '${truncate(params.name)}' (served: ${[...byName.keys()].join(', ')})` });
      return null;
    }
    if (params.version !== undefined && params.version !== MODEL_VERSION) {
      void reply.code(404).send({ error: `model '${model.name}' has no version '${truncate(params.version)}' (its one version is '${MODEL_VERSION}')` });
      return null;
    }
    return model;
  }

  // The probes are open to requests without a token (guard.ts); a server that answers is live, and it
  // answers only once every model is loaded, so it is ready too.
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async () => ({ ready: true }));
  app.get('/v2', async () => ({ name: 'qdistill', version: TOOL_VERSION, extensions: [] }));

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get<ModelParams>(prefix, async (request, reply) => {
      const model = served(request.params, reply);
      return model ? modelMetadata(model) : reply;
    });
    app.get<ModelParams>(`${prefix}/ready`, async (request, reply) => {
      const model = served(request.params, reply);
      return model ? { name: model.name, ready: true } : reply;
    });
  }

  for (const route of [ROUTES.infer, ROUTES.versionInfer]) {
    app.post<ModelParams>(route, async (request, reply) => {
      const model = served(request.params, reply);
      if (!model) return reply;
      const answer = await answerInfer(model, request.body, options.maxRequestBatch);
      return reply.code(answer.status).send(answer.body);
    });
  }
}

function truncate(text: string, length = 120): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
