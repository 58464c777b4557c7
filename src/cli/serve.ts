// `qdistill serve`: policies over HTTP until SIGTERM or SIGINT, which stop accepting connections, answer every
// request already received, close the connections (cutting what is left at --drain-timeout), dispose the
// policies and exit 0. A second signal cuts the connections left at once; a third exits at once. With
// --workers N > 1 the same happens in N worker processes sharing the port, this process their primary.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PAGE_RUNTIMES } from '../export/site-runtimes.js';
import { availableParallelism } from 'node:os';
import { AUTH_TOKEN_ENV, checkAuthToken } from '../serve/access.js';
import { DEFAULT_MAX_REQUEST_BATCH, DRAIN_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT, RATE_LIMIT_RANGE, REQUEST_TIMEOUT, type TimeoutLimit } from '../serve/limits.js';
import { parseModelArguments } from '../serve/names.js';
import { BATCH_WINDOW_US_RANGE, DEFAULT_BATCH_WINDOW_US, DEFAULT_MAX_BATCH, MAX_BATCH_RANGE } from '../util/batching-defaults.js';
import { UsageError } from '../util/errors.js';
import { integer, number } from './options.js';
import { startProgress } from './output.js';
import { addPolicyFileOptions, policyFileOptionsFrom, resolveRuntime, runtimeOption, type PolicyFileFlags } from './runtime-option.js';
import { checkEnvId } from '../envs/registry.js';
import type { ServeRequest } from '../pipelines/serve.js';

export interface ServeFlags extends PolicyFileFlags {
  port: number;
  host: string;
  runtime: string;
  env?: string;
  batchWindowUs: number;
  maxBatch: number;
  batching: boolean;
  maxRequestBatch: number;
  bodyLimit?: number;
  web: boolean;
  webRuntime: (typeof PAGE_RUNTIMES)[number];
  json?: boolean;
  authToken?: string;
  rateLimit?: number;
  hideCards?: boolean;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  drainTimeout: number;
  workers: number;
}

/** Most worker processes --workers takes. */
const MAX_WORKERS = 256;

/** --host: any address but an empty one (Node would take '' as every interface). */
function hostAddress(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected an address to listen on, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)');
  return value;
}

const seconds = (limit: TimeoutLimit) => number(limit.minS, limit.maxS);

/** Adds `serve` and its flags to the program. */
export function registerServe(program: Command): void {
  addPolicyFileOptions(program.command('serve'))
    .description('serve policies over HTTP: POST /v1/models/{name}:act, the Open Inference Protocol (KServe v2) under /v2, GET /v1/models, /healthz, /metrics, and each model\'s page under /web/{name}/')
    .argument('<models...>', 'ONNX policy files; the name is the file stem, or give name=path')
    .option('--port <n>', 'TCP port (0: any free port)', integer(0, 65535), 8080)
    .option('--host <address>', 'address to listen on; anything but loopback (127.0.0.1, ::1) is reachable from other machines (0.0.0.0: every interface)', hostAddress, '127.0.0.1')
    .addOption(runtimeOption())
    .option('--env <id>', 'environment id for files without qdistill metadata')
    .option('--batch-window-us <us>', 'longest wait for more requests to batch with the first, in microseconds (a turn of the event loop that brings none ends it sooner)', integer(BATCH_WINDOW_US_RANGE.min, BATCH_WINDOW_US_RANGE.max), DEFAULT_BATCH_WINDOW_US)
    .option('--max-batch <n>', 'observations per inference call at most (a batch runs as soon as it is full)', integer(MAX_BATCH_RANGE.min, MAX_BATCH_RANGE.max), DEFAULT_MAX_BATCH)
    .option('--no-batching', 'run every request on its own (no micro-batching)')
    .option('--max-request-batch <n>', 'observations one request may carry at most', integer(1, 1_000_000), DEFAULT_MAX_REQUEST_BATCH)
    .option('--body-limit <bytes>', 'largest request body (default: room for --max-request-batch observations of the largest model)', integer(64, 2 ** 30))
    .option('--no-web', 'do not build and serve the browser pages')
    .addOption(
      new Option('--web-runtime <runtime>', 'what runs the policy on the pages: js (the compiled module inlined), ort-wasm or ort-webgpu (onnxruntime-web), auto (js where the model compiles)')
        .choices([...PAGE_RUNTIMES])
        .default('auto'),
    )
    .option('--auth-token <token>', `require "Authorization: Bearer <token>" on every request but GET /healthz (else 401); 16 to 4096 characters of letters, digits and -._~+/ (default: $${AUTH_TOKEN_ENV}, which, unlike a flag, other users cannot read in ps; none: no auth)`)
    .option('--rate-limit <n>', 'requests per second each client address may make (token bucket, bursts of max(1, n); over it: 429 with Retry-After; default: no limit)', number(RATE_LIMIT_RANGE.min, RATE_LIMIT_RANGE.max))
    .option('--hide-cards', 'leave the model cards (they record the training command line and machine) out of /v1/models and out of the pages\' model files')
    .option('--headers-timeout <s>', 'seconds a client has to send a request\'s headers (then 408 and the connection is closed)', seconds(HEADERS_TIMEOUT), HEADERS_TIMEOUT.defaultS)
    .option('--request-timeout <s>', 'seconds a client has to send a whole request, headers and body (then 408 and the connection is closed); at least --headers-timeout', seconds(REQUEST_TIMEOUT), REQUEST_TIMEOUT.defaultS)
    .option('--keep-alive-timeout <s>', 'seconds an idle keep-alive connection stays open between requests', seconds(KEEP_ALIVE_TIMEOUT), KEEP_ALIVE_TIMEOUT.defaultS)
    .option('--drain-timeout <s>', 'on SIGTERM or SIGINT, seconds to answer the requests already received before the connections left are cut (0: at once)', seconds(DRAIN_TIMEOUT), DRAIN_TIMEOUT.defaultS)
    .option('--workers <n>', 'worker processes sharing the port, each with its own copy of the models (1: serve in this process; default: one per core); a worker that dies is replaced; /metrics and --rate-limit are per worker (the limit shared out)', integer(1, MAX_WORKERS), availableParallelism())
    .option('--json', 'print the listening line as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  qdistill serve models/cartpole-v1-student-16x16/student.onnx --port 8080\n' +
        '  curl -s -H "content-type: application/json" -d \'{"observation": [0.01, 0.02, -0.03, 0.04]}\' http://127.0.0.1:8080/v1/models/student:act\n' +
        '  qdistill serve teacher=models/cartpole-v1/teacher.onnx mlp=models/pytorch/cartpole-v1-mlp.onnx --env CartPole-v1 --no-web\n' +
        '\nReachable from other machines, with a token, a rate limit and no model cards:\n' +
        `  export ${AUTH_TOKEN_ENV}=$(openssl rand -hex 32)\n` +
        '  qdistill serve models/cartpole-v1-student-16x16/student.onnx --host 0.0.0.0 --rate-limit 100 --hide-cards --drain-timeout 20\n' +
        `  curl -s -H "authorization: Bearer $${AUTH_TOKEN_ENV}" http://127.0.0.1:8080/v1/models\n` +
        '\nThe Open Inference Protocol (the same requests work on Triton and KServe):\n' +
        '  curl -s -H "content-type: application/json" -d \'{"inputs": [{"name": "obs", "shape": [1, 4], "datatype": "FP32", "data": [0.01, 0.02, -0.03, 0.04]}]}\' http://127.0.0.1:8080/v2/models/student/infer\n' +
        '\nGET /healthz, /v2/health/live and /v2/health/ready need no token (for probes). SIGTERM/SIGINT: no new connections; requests already received are\n' +
        'answered, the newest on each connection with "Connection: close"; idle connections are closed; what is left\n' +
        'at --drain-timeout is cut; exit 0. A second signal cuts at once.',
    )
    .action(async (modelArguments: string[], flags: ServeFlags) => runServe(modelArguments, flags));
}

/** The bearer token from --auth-token, else from QDISTILL_AUTH_TOKEN (set but empty is refused: a secret that failed to arrive), checked. */
function authTokenFrom(flag: string | undefined): string | undefined {
  if (flag !== undefined) return checkAuthToken(flag, '--auth-token');
  const fromEnv = process.env[AUTH_TOKEN_ENV];
  if (fromEnv === undefined) return undefined;
  if (fromEnv === '') throw new UsageError(`${AUTH_TOKEN_ENV} is set but empty; set a token (e.g. openssl rand -hex 32), or unset it to serve without one`);
  return checkAuthToken(fromEnv, AUTH_TOKEN_ENV);
}

/** Checks the flags, starts the server, prints where it listens (and a warning beyond loopback), and drains it on the first SIGTERM or SIGINT. */
export async function runServe(modelArguments: string[], flags: ServeFlags): Promise<void> {
  if (flags.env) checkEnvId(flags.env);
  const authToken = authTokenFrom(flags.authToken);
  if (flags.requestTimeout < flags.headersTimeout) {
    throw new UsageError(`--request-timeout (${flags.requestTimeout} s) must be at least --headers-timeout (${flags.headersTimeout} s): the headers are part of the request`);
  }
  const named = parseModelArguments(modelArguments);
  const models = [];
  for (const model of named) models.push({ ...model, runtime: await resolveRuntime(flags.runtime, model.file, flags.env, flags.json, flags) });
  const progress = flags.web ? startProgress('building web pages', named.length) : null;
  const request = {
    models,
    env: flags.env,
    read: policyFileOptionsFrom(flags),
    host: flags.host,
    port: flags.port,
    batching: { enabled: flags.batching, batchWindowUs: flags.batchWindowUs, maxBatch: flags.maxBatch },
    maxRequestBatch: flags.maxRequestBatch,
    bodyLimit: flags.bodyLimit,
    timeouts: {
      headersMs: flags.headersTimeout * 1000,
      requestMs: flags.requestTimeout * 1000,
      keepAliveMs: flags.keepAliveTimeout * 1000,
      drainMs: flags.drainTimeout * 1000,
    },
    authToken,
    rateLimit: flags.rateLimit,
    hideCards: flags.hideCards,
    web: flags.web,
    webRuntime: flags.webRuntime,
    onWebSite: (done: number) => progress?.update(done),
  };
  const server = await startServing(request, flags.workers);
  progress?.stop();
  const listening = {
    url: server.url,
    models: server.models.map((m) => ({ name: m.name, env: m.env, runtime: m.runtime, act: `${server.url}/v1/models/${m.name}:act`, infer: `${server.url}/v2/models/${m.name}/infer` })),
    workers: server.workers(),
    batching: flags.batching ? { windowUs: flags.batchWindowUs, maxBatch: flags.maxBatch } : null,
    bodyLimit: server.bodyLimit,
    web: flags.web,
    auth: authToken !== undefined,
    rateLimit: flags.rateLimit ?? null,
    hideCards: flags.hideCards === true,
    timeoutsS: { headers: flags.headersTimeout, request: flags.requestTimeout, keepAlive: flags.keepAliveTimeout, drain: flags.drainTimeout },
  };
  if (!server.loopbackOnly) {
    process.stderr.write(
      `qdistill serve: warning: listening on ${server.address} (${flags.host}), reachable from other machines; ` +
        (authToken !== undefined ? 'auth is on (bearer token)\n' : `auth is off: anyone who reaches it can use it (set --auth-token or ${AUTH_TOKEN_ENV})\n`),
    );
  }
  if (flags.json) process.stdout.write(JSON.stringify(listening) + '\n');
  else {
    const workers = listening.workers.length > 1 ? ` with ${listening.workers.length} workers (pids ${listening.workers.map((w) => w.pid).join(', ')})` : '';
    process.stdout.write(`qdistill serve: listening on ${server.url} (${listening.models.map((m) => `${m.name}: ${m.env}, ${m.runtime}`).join('; ')})${workers}\n`);
  }

  const stop = await Promise.race([stopSignal(), server.failed.then((line) => ({ failed: line }))]);
  // The workers died too often: the primary has said so in one line and stopped them; exit 1, as after a crash.
  if (typeof stop !== 'string') process.exit(1);
  const signal = stop;
  process.stderr.write(`qdistill serve: ${signal}, answering the requests already received (for up to ${flags.drainTimeout} s; ${signal} again to cut them)\n`);
  const again = (next: NodeJS.Signals) => {
    process.stderr.write(`qdistill serve: ${next} again, cutting the connections left\n`);
    // The policies are still disposed and the pages removed; one more signal exits without that.
    process.once('SIGTERM', () => process.exit(143));
    process.once('SIGINT', () => process.exit(130));
    void server.close({ drainTimeoutMs: 0 });
  };
  const onSignal = (next: NodeJS.Signals) => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    again(next);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const drained = await server.close();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  if (drained.cut > 0) {
    process.stderr.write(`qdistill serve: cut ${drained.cut} of ${drained.connections} connection${drained.connections === 1 ? '' : 's'} with a request unanswered or still arriving\n`);
  }
}

/** What the CLI needs of a running server, in one process or as a cluster's primary. */
interface Serving {
  url: string;
  address: string;
  loopbackOnly: boolean;
  bodyLimit: number;
  models: { name: string; env: string; runtime: string }[];
  workers(): { id: number; pid: number }[];
  /** Resolves with one line if the server stops on its own (workers died too often); never, in one process. */
  failed: Promise<string>;
  close(options?: { drainTimeoutMs?: number }): Promise<{ connections: number; cut: number }>;
}

/** The server in this process (workers 1), or `workers` worker processes with this one their primary. */
async function startServing(request: ServeRequest, workers: number): Promise<Serving> {
  const { serve, serveCluster } = await import('../pipelines/serve.js');
  if (workers > 1) {
    const cluster = await serveCluster({ ...request, workers, onLog: (line) => process.stderr.write(`qdistill serve: ${line}\n`) });
    return cluster;
  }
  const server = await serve(request);
  return {
    url: server.url,
    address: server.address,
    loopbackOnly: server.loopbackOnly,
    bodyLimit: server.bodyLimit,
    models: server.models.map((m) => ({ name: m.name, env: m.policy.spec.id, runtime: m.runtime })),
    workers: () => [{ id: 0, pid: process.pid }],
    failed: new Promise<string>(() => {}),
    close: (options) => server.close(options),
  };
}

/** Resolves with the first SIGTERM or SIGINT. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
