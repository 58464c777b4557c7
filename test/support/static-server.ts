// A tiny static file server for tests and scripts that open an exported site in a browser: serves only files
// inside one folder, on 127.0.0.1 and a free port, and records every path requested.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
};

export interface StaticServer {
  url: string;
  /** Paths requested so far, in order, with the status answered: 'GET /main.js 200'. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * `crossOriginIsolated` adds the COOP/COEP headers under which browsers time performance.now() in 5 µs steps
 * instead of 0.1 ms.
 */
export async function serveFolder(folder: string, options: { crossOriginIsolated?: boolean } = {}): Promise<StaticServer> {
  const isolation = options.crossOriginIsolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  const root = resolve(folder);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = resolve(join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
    let status = 200;
    if (!file.startsWith(root + sep) || !isFile(file)) status = 404;
    requests.push(`${req.method} ${pathname} ${status}`);
    if (status !== 200) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', ...isolation });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    requests,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
