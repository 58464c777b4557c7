// Who may reach the server: the address it listens on and the bearer token it may require. Kept apart from
// the HTTP stack (node:net only) so that the CLI checks its flags without loading fastify.
import { isIP } from 'node:net';
import { UsageError } from '../util/errors.js';

/** The environment variable that holds the bearer token when --auth-token is not given. */
export const AUTH_TOKEN_ENV = 'QDISTILL_AUTH_TOKEN';

/** RFC 6750's b64token: the characters a bearer token may hold in an Authorization header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_LENGTH = 4096;

/**
 * The host to listen on, or a UsageError when it is empty: Node takes '' as "every interface", which nobody
 * means by leaving the value out.
 */
export function checkHost(host: string): string {
  if (host.trim() === '') {
    throw new UsageError('the host to listen on is empty; give an address, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)', 'host');
  }
  return host;
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1 (and IPv4-mapped 127.x), or the name localhost. */
export function isLoopbackAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (plain === 'localhost') return true;
  const v4 = plain.startsWith('::ffff:') && isIP(plain.slice(7)) === 4 ? plain.slice(7) : plain;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  if (isIP(plain) === 6) return /^::1$|^(0{1,4}:){7}0{0,3}1$/.test(plain);
  return false;
}

/**
 * The bearer token, checked: 16 to 4096 characters of RFC 6750's token alphabet (letters, digits, -._~+/ and
 * trailing =), so that it fits an Authorization header and is not trivially guessed. The message never
 * repeats the token; `where` names where it came from (--auth-token or QDISTILL_AUTH_TOKEN).
 */
export function checkAuthToken(token: string, where: string): string {
  if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    const badCharacters = token.length > 0 && !B64TOKEN.test(token) ? ', some of them not allowed' : '';
    throw new UsageError(
      `the auth token must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters of letters, digits and -._~+/ (got ${token.length} characters${badCharacters}); e.g. openssl rand -hex 32`,
      where,
    );
  }
  return token;
}
