// Servers for the serve benchmarks, each in its own child process so that the load generator (this
// process) and the server do not share an event loop: `qdistill serve` (the CLI through tsx), and a bare
// node:http server answering every request with a constant JSON body, the ceiling for any Node server here.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<number | null>;
}

const BARE_SERVER = `
import { createServer } from 'node:http';
const body = JSON.stringify({ action: 1, q_values: [-3.3205695152282715, 2.508265495300293] });
const server = createServer((req, res) => {
  req.resume(); // read the request body, as any real server must
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export function startBareServer(): Promise<ChildServer> {
  return started(spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
}

export function startServeCli(args: string[], nodeArgs: string[] = []): Promise<ChildServer> {
  return started(spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/index.ts', 'serve', ...args, '--json', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** Node flags that make the child collect garbage on SIGUSR2, so that memory is read after a full GC. */
export const GC_ON_SIGUSR2 = ['--expose-gc', '--import', 'data:text/javascript,process.on("SIGUSR2",()=>globalThis.gc())'];

function started(child: ChildProcess): Promise<ChildServer> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk) => {
      text += chunk;
      if (!text.includes('\n')) return;
      const { url } = JSON.parse(text.split('\n')[0]) as { url: string };
      resolve({
        url,
        pid: child.pid!,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

/** One sample's value from a Prometheus text page (first match). */
export function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}
