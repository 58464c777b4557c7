// Request limits and connection timeouts with their defaults and ranges, apart from the server so that
// `--help` loads no HTTP stack.

/** Observations one request may carry at most, by default. */
export const DEFAULT_MAX_REQUEST_BATCH = 1024;

/** A connection timeout: its default and the range the CLI accepts, in seconds. */
export interface TimeoutLimit {
  /** Default in seconds. */
  defaultS: number;
  /** Smallest value accepted, in seconds. */
  minS: number;
  /** Largest value accepted, in seconds. */
  maxS: number;
}

/**
 * How long a client may take to send a request's headers, counted from its first byte (or from the
 * connection's start for a first request). Over it: 408 and the connection is closed.
 */
export const HEADERS_TIMEOUT: TimeoutLimit = { defaultS: 10, minS: 0.1, maxS: 600 };

/** How long a client may take to send a whole request, headers and body. Over it: 408 and the connection is closed. Never below the headers timeout. */
export const REQUEST_TIMEOUT: TimeoutLimit = { defaultS: 30, minS: 0.1, maxS: 3600 };

/** How long a keep-alive connection may sit idle between requests before the server closes it (Node adds 1 s of margin). */
export const KEEP_ALIVE_TIMEOUT: TimeoutLimit = { defaultS: 5, minS: 0.1, maxS: 600 };

/**
 * How long shutdown (SIGTERM, SIGINT, close()) waits for requests already received to be answered; then the
 * connections left are cut. 0 cuts them at once.
 */
export const DRAIN_TIMEOUT: TimeoutLimit = { defaultS: 10, minS: 0, maxS: 3600 };

/** Rate limit the CLI accepts, in requests per second per client address. */
export const RATE_LIMIT_RANGE = { min: 0.01, max: 1_000_000 };

/**
 * The body of a refused request (413, 401, 429, …) up to this many bytes, or the body limit if larger, is read
 * and thrown away so that the connection can carry the next request; a larger or chunked body closes it after
 * the answer.
 */
export const SKIPPABLE_BODY_BYTES = 1024 * 1024;
