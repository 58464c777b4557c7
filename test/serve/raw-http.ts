// An HTTP/1.1 client on a bare TCP socket, for tests that need what fetch and node:http hide: several requests
// written in one write (pipelining), bytes trickled one at a time, a body left unfinished, and every response
// on the connection read in order, with the moment the server closed it.
import { connect, type Socket } from 'node:net';

export interface RawHttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  socket: Socket;
  /** Every complete response so far, in order. */
  responses: RawHttpResponse[];
  /** Bytes after the last complete response (a response cut short would leave them). */
  leftover(): string;
  /** Writes the bytes; resolves once they are handed to the kernel (on loopback: in the server's buffer). */
  write(data: string | Buffer): Promise<void>;
  /** Resolves when `count` responses in all have arrived; rejects if the connection closes first. */
  responsesUpTo(count: number): Promise<RawHttpResponse[]>;
  /** Resolves when the server closed the connection (end or reset). */
  closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
}

/** Opens a connection to the server at `base` (http://host:port), optionally from a given local address. */
export function openConnection(base: string, localAddress?: string): Promise<RawConnection> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress });
    socket.setNoDelay(true);
    const responses: RawHttpResponse[] = [];
    let buffer = Buffer.alloc(0);
    let closed = false;
    const waiters: { count: number; resolve: (r: RawHttpResponse[]) => void; reject: (e: Error) => void }[] = [];
    let markClosed!: () => void;
    const closedPromise = new Promise<void>((r) => (markClosed = r));

    const settle = () => {
      for (const waiter of [...waiters]) {
        if (responses.length >= waiter.count) waiter.resolve(responses.slice());
        else if (closed) waiter.reject(new Error(`the connection closed after ${responses.length} of ${waiter.count} responses`));
        else continue;
        waiters.splice(waiters.indexOf(waiter), 1);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buffer.length < end + 4 + length) break;
        responses.push({ status: Number(statusLine.split(' ')[1]), headers, body: buffer.subarray(end + 4, end + 4 + length).toString('utf8') });
        buffer = buffer.subarray(end + 4 + length);
      }
      settle();
    });
    const onClosed = () => {
      if (closed) return;
      closed = true;
      markClosed();
      settle();
    };
    socket.on('end', onClosed);
    socket.on('close', onClosed);
    socket.on('error', onClosed);
    socket.once('connect', () =>
      resolve({
        socket,
        responses,
        leftover: () => buffer.toString('utf8'),
        write: (data) => new Promise((done, fail) => socket.write(data, (error) => (error ? fail(error) : done()))),
        responsesUpTo: (count) =>
          new Promise((done, fail) => {
            waiters.push({ count, resolve: done, reject: fail });
            settle();
          }),
        closed: closedPromise,
        isClosed: () => closed,
        close: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

/** A POST of `body` (as given) to `path`, with Content-Length and the extra headers. */
export function postRequest(path: string, body: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries({ 'content-type': 'application/json', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST ${path} HTTP/1.1\r\nHost: test\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** A GET of `path` with the extra headers. */
export function getRequest(path: string, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
}
