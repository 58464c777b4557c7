// The checks every request passes before its route runs: the per-client rate limit, then the bearer token.
// GET /healthz is exempt from both, so that load balancers and orchestrators can probe a server that
// requires a token; with a token set it names no models. The limit comes first so that guessing tokens is
// rate-limited too.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientKey, createRateLimiter } from './rate-limit.js';

/** Who may use the server. */
export interface AccessOptions {
  /** Bearer token every request but GET /healthz must carry (`Authorization: Bearer <token>`); none: open. */
  authToken?: string;
  /** Requests per second per client address (token bucket, bursts of max(1, rate)); none: no limit. */
  rateLimit?: number;
}

/** Routes no token or rate limit applies to. */
export const OPEN_ROUTES = new Set(['/healthz']);

const REALM = 'qdistill';

/** Adds the rate limit and the token check as an onRequest hook (they run before the body is read). */
export function addAccessChecks(app: FastifyInstance, options: AccessOptions): void {
  const limiter = options.rateLimit ? createRateLimiter({ ratePerSecond: options.rateLimit }) : null;
  const expected = options.authToken ? digest(options.authToken) : null;
  if (!limiter && !expected) return;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (OPEN_ROUTES.has(request.routeOptions.url ?? '')) return;
    if (limiter) {
      const retryAfter = limiter.take(clientKey(request.ip));
      if (retryAfter > 0) {
        return reply
          .code(429)
          .header('retry-after', String(retryAfter))
          .send({ error: `too many requests: this server takes ${options.rateLimit} per second from each client; retry after ${retryAfter} s` });
      }
    }
    if (expected) {
      const given = bearerToken(request.headers.authorization);
      // Both sides are SHA-256 digests, so the comparison takes the same time whatever the token's length.
      if (given === null || !timingSafeEqual(digest(given), expected)) {
        return reply
          .code(401)
          .header('www-authenticate', given === null ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`)
          .send({ error: given === null ? 'this server requires a bearer token: send Authorization: Bearer <token>' : 'the bearer token is not valid' });
      }
    }
  });
}

/** The token of an `Authorization: Bearer <token>` header (scheme in any case), or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match ? match[1] : null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
