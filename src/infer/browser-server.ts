// A local HTTP server for the `browser` runtime's page: exactly the files it is given, on 127.0.0.1 at an
// ephemeral port, 404 for anything else. It sends COOP/COEP headers so the page is cross-origin isolated:
// that enables SharedArrayBuffer (wasm threads) and gives performance.now() fine resolution for in-page timing.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  contentType: string;
  /** The body, or the path of a file read when it is asked for. */
  body: Uint8Array | string | { path: string };
}

export interface PageServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  close(): Promise<void>;
}

export function contentTypeOf(name: string): string {
  if (name.endsWith('.mjs') || name.endsWith('.js')) return 'text/javascript';
  if (name.endsWith('.wasm')) return 'application/wasm';
  if (name.endsWith('.html')) return 'text/html; charset=utf-8';
  return 'application/octet-stream';
}

async function bodyOf(file: ServedFile): Promise<Uint8Array | string> {
  return typeof file.body === 'object' && 'path' in file.body ? readFile(file.body.path) : file.body;
}

export async function servePage(files: Record<string, ServedFile>): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = Object.hasOwn(files, path) ? files[path] : undefined;
    if (request.method !== 'GET' || !file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    bodyOf(file).then(
      (body) =>
        response
          .writeHead(200, {
            'content-type': file.contentType,
            'cache-control': 'no-store',
            'cross-origin-opener-policy': 'same-origin',
            'cross-origin-embedder-policy': 'require-corp',
          })
          .end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('unreadable'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
