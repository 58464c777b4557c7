// The checks every request passes before its route runs: the per-client rate limit, then the bearer token.
// The probes — GET /healthz and the v2 protocol's /v2/health/live and /v2/health/ready — are exempt from
// both, so that load balancers and orchestrators can probe a server that requires a token; with a token set
// they name no models. The limit comes first so that guessing tokens is rate-limited too.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientKey, createRateLimiter } from './rate-limit.js';

/** Who may use the server. */
export interface AccessOptions {
  /** Bearer token every request but the probes must carry (`Authorization: Bearer <token>`); none: open. */
  authToken?: string;
  /** Requests per second per client address (token bucket, bursts of max(1, rate)); none: no limit. */
  rateLimit?: number;
}

/** Routes no token or rate limit applies to. */
export const OPEN_ROUTES = new Set(['/healthz', '/v2/health/live', '/v2/health/ready']);

const REALM = 'qdistill';

/** Why a request is refused: the status, its headers and the message for `{"error": ...}`. */
export interface Refusal {
  status: 401 | 429;
  headers: Record<string, string>;
  error: string;
}

/** The rate limit and the token as one check. */
export interface AccessCheck {
  /**
   * null when `request` may go on, else why not. A request is counted against the rate limit once, however
   * many times it is checked (the fast path and fastify's hook may both look at it).
   */
  check(request: IncomingMessage): Refusal | null;
}

/** The check for `options`, or null when there is neither a token nor a rate limit. */
export function createAccessCheck(options: AccessOptions): AccessCheck | null {
  const limiter = options.rateLimit ? createRateLimiter({ ratePerSecond: options.rateLimit }) : null;
  const expected = options.authToken ? digest(options.authToken) : null;
  if (!limiter && !expected) return null;
  const decided = new WeakMap<IncomingMessage, Refusal | null>();
  const decide = (request: IncomingMessage): Refusal | null => {
    if (limiter) {
      const retryAfter = limiter.take(clientKey(request.socket.remoteAddress));
      if (retryAfter > 0) {
        return {
          status: 429,
          headers: { 'retry-after': String(retryAfter) },
          error: `too many requests: this server takes ${options.rateLimit} per second from each client; retry after ${retryAfter} s`,
        };
      }
    }
    if (expected) {
      const given = bearerToken(request.headers.authorization);
      // Both sides are SHA-256 digests, so the comparison takes the same time whatever the token's length.
      if (given === null || !timingSafeEqual(digest(given), expected)) {
        return {
          status: 401,
          headers: { 'www-authenticate': given === null ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"` },
          error: given === null ? 'this server requires a bearer token: send Authorization: Bearer <token>' : 'the bearer token is not valid',
        };
      }
    }
    return null;
  };
  return {
    check(request) {
      if (decided.has(request)) return decided.get(request)!;
      const refusal = decide(request);
      decided.set(request, refusal);
      return refusal;
    },
  };
}

/** Adds `access` as an onRequest hook (it runs before the body is read); the probes are left open. */
export function addAccessChecks(app: FastifyInstance, access: AccessCheck | null): void {
  if (!access) return;
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (OPEN_ROUTES.has(request.routeOptions.url ?? '')) return done();
    const refusal = access.check(request.raw);
    if (!refusal) return done();
    void reply.code(refusal.status).headers(refusal.headers).send({ error: refusal.error });
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
