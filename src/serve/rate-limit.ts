// Per-client rate limiting: one token bucket per client address, refilled at `ratePerSecond` and holding at
// most max(1, ratePerSecond) tokens (a second's worth of requests may come at once). Written here rather than
// taken from @fastify/rate-limit, which counts requests per fixed time window (so up to twice the rate passes
// across a window's edge) and would be one more dependency for about fifty lines.
//
// Memory is bounded: past `maxClients` addresses, buckets that have refilled completely (the same as no
// bucket) are dropped, then the oldest.

/** Options of createRateLimiter(). */
export interface RateLimitOptions {
  /** Sustained requests per second allowed to each client. */
  ratePerSecond: number;
  /** Most client addresses remembered at once (default 100,000). */
  maxClients?: number;
  /** Clock in milliseconds; default performance.now. */
  now?: () => number;
}

/** Decides, per client, whether one more request may pass now. */
export interface RateLimiter {
  /** 0 when the request may pass (and is counted); else whole seconds until one would (≥ 1), for Retry-After. */
  take(client: string): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token-bucket limiter keyed by client; a RangeError for a rate that is not a positive finite number. */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const rate = options.ratePerSecond;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`the rate limit must be a positive number of requests per second (got ${rate})`);
  const capacity = Math.max(1, rate);
  const maxClients = options.maxClients ?? 100_000;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();

  const refilled = (bucket: Bucket, t: number) => Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * rate);

  function evict(t: number): void {
    for (const [client, bucket] of buckets) if (refilled(bucket, t) >= capacity) buckets.delete(client);
    for (const client of buckets.keys()) {
      if (buckets.size < maxClients) break;
      buckets.delete(client);
    }
  }

  return {
    take(client) {
      const t = now();
      let bucket = buckets.get(client);
      if (!bucket) {
        if (buckets.size >= maxClients) evict(t);
        bucket = { tokens: capacity, at: t };
        buckets.set(client, bucket);
      }
      bucket.tokens = refilled(bucket, t);
      bucket.at = t;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    },
  };
}

/** The key a client is limited by: its address, with IPv4-mapped IPv6 (::ffff:1.2.3.4) written as IPv4. */
export function clientKey(address: string | undefined): string {
  const a = address ?? 'unknown';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
