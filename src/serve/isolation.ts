// Cross-origin isolation: headers on every response serve sends. With COOP same-origin and COEP
// require-corp a browser puts the page in its own process group (crossOriginIsolated is true), which gives the
// exported page a precise performance.now() (coarsened to 100 µs or more otherwise) and SharedArrayBuffer.
// CORP same-origin keeps other sites from embedding the server's files (their no-cors loads are refused);
// the page's own loads are same-origin and need nothing more.

/** The headers, lower-case names, as fastify's reply.headers() and node:http's writeHead() take them. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
});

/** The same as a flat [name, value, …] list, for node:http's writeHead() on the hot path. */
export const ISOLATION_HEADER_LIST: readonly string[] = Object.freeze(Object.entries(ISOLATION_HEADERS).flat());

/** The same as raw header lines (each ending in CRLF), for answers written on the socket itself. */
export const ISOLATION_HEADER_LINES = Object.entries(ISOLATION_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');
