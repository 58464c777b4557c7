// The server's connections, tracked so that shutdown loses no request a client already sent, and so that one
// broken request on a pipelined connection costs only itself.
//
// Why by hand: Node's server.close() destroys every keep-alive socket it sees as idle at that instant, with
// any request waiting unread in the kernel's buffer, and stops enforcing the header and request timeouts;
// fastify's close() then adds `Connection: close` to every answer, and Node drops the answers queued behind
// the first such answer on a pipelined connection (it closes the socket after it). On a bad request, Node's and
// fastify's clientError handlers write their 400/408 at once and destroy the socket, losing the answers still
// being computed for the requests before it.
//
// What this does instead:
// - Each socket's requests are tracked in order, from the diagnostics channel `http.server.request.start`
//   (it sees every request, including those Node answers itself), with the end of each answer.
// - drain() stops accepting connections at once and keeps the open ones. For a grace period everything runs as
//   usual: long enough for the event loop to read the requests already in the kernel's buffers. Then the answer
//   to the newest request of a connection carries `Connection: close` (Node writes the answers before it first
//   and closes after it), and a connection with no request open and no byte arriving since the last sweep is
//   closed. Node's header and request timeouts keep running. At the drain timeout whatever is left is destroyed.
// - A client error (bad HTTP, a header or request timeout, headers too large) is answered after the answers to
//   the requests before it: through the request's own response when its body was being read (Node keeps
//   responses in order), or written on the socket once those answers are out; then the connection closes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { ISOLATION_HEADERS, ISOLATION_HEADER_LINES } from './isolation.js';

/** How long after drain() begins answers go on as usual, so that requests already sent are read first. */
export const DRAIN_GRACE_MS = 100;
/** How often a drain looks for connections it can close. */
const SWEEP_MS = 50;
/** How long a connection closed after a client error keeps reading (and dropping) what the client still sends. */
const LINGER_MS = 500;

const REQUEST_START = 'http.server.request.start';

/** What a drain did. */
export interface DrainResult {
  /** Connections open when it began. */
  connections: number;
  /** Connections destroyed at the drain timeout with a request unanswered or still arriving. */
  cut: number;
}

/** Options of trackConnections(). */
export interface ConnectionOptions {
  /** The server's header timeout, in milliseconds (for the 408 message). */
  headersTimeoutMs: number;
  /** The server's request timeout, in milliseconds (for the 408 message). */
  requestTimeoutMs: number;
  /** Told the status of every answer written here rather than by fastify (for metrics). */
  onAnswer?: (status: number) => void;
}

/** The server's connections: their requests in order, shutdown and client errors. */
export interface ConnectionTracker {
  /** Starts tracking the server's connections (call before it listens). */
  attach(server: Server): void;
  /** True when the answer to `request` should carry `Connection: close`: draining, and no later request is on its connection. */
  shouldClose(request: IncomingMessage): boolean;
  /** Node's clientError event: answers after the requests before it, then closes the connection. */
  onClientError(error: Error, socket: Socket): void;
  /** Stops accepting and closes the connections as their requests are answered; at `timeoutMs`, destroys the rest. Later calls return the same promise. */
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Brings the drain's deadline forward to `timeoutMs` from now (0: destroy what is left at once). */
  shorten(timeoutMs: number): void;
  /** Stops tracking (drain() does it when it ends). */
  detach(): void;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  connection: Connection;
  /** Told when the answer is written or the socket is gone (made only when someone waits: most never are). */
  waiters: (() => void)[] | null;
}

/** Where a response keeps its exchange. */
const EXCHANGE = Symbol('qdistill.exchange');
type TrackedResponse = ServerResponse & { [EXCHANGE]?: Exchange };

/** Marks the exchange over: its answer is written, or its socket gone. */
function endExchange(exchange: Exchange): void {
  const { open } = exchange.connection;
  const at = open.indexOf(exchange);
  if (at < 0) return;
  open.splice(at, 1);
  for (const waiter of exchange.waiters ?? []) waiter();
}

interface Connection {
  socket: Socket;
  /** Requests whose answers are not written yet, oldest first. */
  open: Exchange[];
  /** The newest request on the connection, answered or not. */
  newest: IncomingMessage | null;
  /** socket.bytesRead at the previous sweep. */
  bytesSeen: number;
  /** A client error was met: the parser is dead and the connection closes once its answers are out. */
  failed: boolean;
}

interface RequestStart {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  server: Server;
}

/** A tracker for one server's connections; attach() it to the server before it listens. */
export function trackConnections(options: ConnectionOptions): ConnectionTracker {
  const connections = new Map<Socket, Connection>();
  let server: Server | null = null;
  let draining = false;
  let graceOver = false;
  let drained: Promise<DrainResult> | null = null;
  let deadline: NodeJS.Timeout | null = null;
  let cutNow: (() => void) | null = null;
  let onConnectionClosed: (() => void) | null = null;

  function track(socket: Socket): Connection {
    const connection: Connection = { socket, open: [], newest: null, bytesSeen: socket.bytesRead, failed: false };
    connections.set(socket, connection);
    socket.once('close', () => {
      connections.delete(socket);
      // Answers queued behind others on a socket that closed are never written, nor closed.
      for (const exchange of [...connection.open]) endExchange(exchange);
      onConnectionClosed?.();
    });
    return connection;
  }

  const onConnection = (socket: Socket) => {
    if (!connections.has(socket)) track(socket);
  };

  function onRequestStart(message: unknown): void {
    const { request, response, socket, server: from } = message as RequestStart;
    if (from !== server) return;
    const connection = connections.get(socket) ?? track(socket);
    const exchange: Exchange = { req: request, res: response, connection, waiters: null };
    connection.open.push(exchange);
    connection.newest = request;
    (response as TrackedResponse)[EXCHANGE] = exchange;
    // 'close' comes once the answer is written (a tick after 'finish') or when the socket goes first.
    response.on('close', onResponseClosed);
  }

  // One listener for every response (no closure per request); `this` is the response.
  function onResponseClosed(this: TrackedResponse): void {
    const exchange = this[EXCHANGE];
    if (exchange) endExchange(exchange);
  }

  /** Once every answer now open on the connection is written (or the socket is gone). */
  const answersWritten = (connection: Connection) =>
    Promise.all(connection.open.map((e) => new Promise<void>((resolve) => (e.waiters ??= []).push(resolve))));

  function sweep(): void {
    for (const connection of connections.values()) {
      const bytes = connection.socket.bytesRead;
      const quiet = bytes === connection.bytesSeen;
      connection.bytesSeen = bytes;
      if (graceOver && quiet && !connection.failed && connection.open.length === 0 && !connection.socket.isPaused()) connection.socket.destroy();
    }
  }

  function detach(): void {
    unsubscribe(REQUEST_START, onRequestStart);
    server?.removeListener('connection', onConnection);
  }

  return {
    attach(target) {
      server = target;
      target.on('connection', onConnection);
      subscribe(REQUEST_START, onRequestStart);
    },

    shouldClose(request) {
      if (!graceOver) return false;
      const connection = connections.get(request.socket as Socket);
      return connection !== undefined && connection.newest === request && !connection.socket.isPaused();
    },

    onClientError(error, socket) {
      const connection = connections.get(socket);
      if (!connection) {
        socket.destroy();
        return;
      }
      // A dead parser reports the same error again for every chunk that arrives after it.
      if (connection.failed) return;
      connection.failed = true;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'EPIPE' || socket.destroyed || !socket.writable) {
        socket.destroy();
        return;
      }
      const answer = clientErrorAnswer(error, options);
      const newest = connection.newest;
      if (newest && !newest.complete) {
        // The error came while this request's body was arriving (a timeout, bad chunked encoding).
        const exchange = connection.open.find((e) => e.req === newest);
        if (exchange && !exchange.res.headersSent) {
          // Its own response: Node writes it after the answers before it, then closes the connection.
          exchange.res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer.body), connection: 'close', ...ISOLATION_HEADERS });
          exchange.res.end(answer.body);
          return;
        }
        // It was answered before its body came (a 413, 401 or 429): close once the answers are out.
        void answersWritten(connection).then(() => socket.destroy());
        return;
      }
      // Between requests (bad HTTP, headers too large or too slow): there is no response object to use.
      void answersWritten(connection).then(() => {
        if (socket.destroyed || !socket.writable) {
          socket.destroy();
          return;
        }
        options.onAnswer?.(answer.status);
        socket.end(rawAnswer(answer));
        // Read (and drop) what the client still sends for a moment, so that it is not reset before it reads the answer.
        const linger = setTimeout(() => socket.destroy(), LINGER_MS);
        socket.once('end', () => socket.destroy());
        socket.once('close', () => clearTimeout(linger));
      });
    },

    drain(timeoutMs) {
      if (drained) return drained;
      if (!server) throw new Error('drain() before attach()');
      draining = true;
      const target = server;
      const startedWith = connections.size;
      for (const connection of connections.values()) connection.bytesSeen = connection.socket.bytesRead;
      // net's close(), not http's: stop accepting but keep the open connections and Node's timeout checks.
      NetServer.prototype.close.call(target);
      drained = new Promise<DrainResult>((resolve) => {
        let cut = 0;
        const grace = setTimeout(() => {
          graceOver = true;
          sweep();
        }, Math.min(DRAIN_GRACE_MS, timeoutMs));
        const sweeper = setInterval(sweep, SWEEP_MS);
        const finish = () => {
          if (connections.size > 0) return;
          clearTimeout(grace);
          clearInterval(sweeper);
          if (deadline) clearTimeout(deadline);
          onConnectionClosed = null;
          detach();
          resolve({ connections: startedWith, cut });
        };
        cutNow = () => {
          graceOver = true;
          for (const connection of connections.values()) {
            cut++;
            connection.socket.destroy();
          }
          finish();
        };
        onConnectionClosed = finish;
        deadline = setTimeout(cutNow, timeoutMs);
        finish();
      });
      return drained;
    },

    shorten(timeoutMs) {
      if (!draining || !cutNow) return;
      if (deadline) clearTimeout(deadline);
      deadline = setTimeout(cutNow, timeoutMs);
    },

    detach,
  };
}

interface Answer {
  status: number;
  body: string;
}

/** The status and JSON body for a client error Node reports. */
function clientErrorAnswer(error: Error, options: ConnectionOptions): Answer {
  const { code, reason } = error as NodeJS.ErrnoException & { reason?: string };
  const json = (status: number, message: string): Answer => ({ status, body: JSON.stringify({ error: message }) });
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return json(408, `the request did not arrive in time (this server waits ${options.headersTimeoutMs / 1000} s for the headers and ${options.requestTimeoutMs / 1000} s for the whole request)`);
  }
  if (code === 'HPE_HEADER_OVERFLOW') return json(431, 'the request headers are larger than this server takes');
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return json(413, 'the chunk extensions are larger than this server takes');
  return json(400, `the request is not valid HTTP/1.1${reason ? `: ${reason}` : ''}`);
}

function rawAnswer({ status, body }: Answer): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${ISOLATION_HEADER_LINES}\r\n${body}`;
}

/** True when the rest of `request`'s body may be read and dropped to keep the connection: a declared length up to `limit` (none: no body). */
export function bodyCanBeSkipped(request: IncomingMessage, limit: number): boolean {
  if (request.complete) return true;
  if (request.headers['transfer-encoding'] !== undefined) return false;
  const length = request.headers['content-length'];
  return length === undefined || Number(length) <= limit;
}
