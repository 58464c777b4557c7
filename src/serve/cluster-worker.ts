// A worker of `serve --workers N`: the entry file cluster.ts forks. It waits for its options from the
// primary, serves them in this process (startServer, one copy of every model, the port shared through
// node:cluster), says whether it is listening or why it could not start, and drains when told to.
//
// Signals are the primary's to handle: Ctrl-C in a terminal (and systemd's stop, by default) signals every
// process of the group at once, and a worker that drained on its own signal would take the primary's
// "drain" that follows for a second one, which cuts connections. A worker whose primary is gone (its IPC
// channel closed) drains and exits by itself.
import cluster from 'node:cluster';
import { UsageError } from '../util/errors.js';
import { fileSystemErrorMessage, fileSystemErrorPath } from '../util/fs-errors.js';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './cluster-messages.js';
import { startServer, type RunningServer } from './server.js';
// Also registers the gym: env provider in this process.
import { applyGymSettings } from '../gym/index.js';

if (!cluster.isWorker || !process.send) throw new Error('cluster-worker.ts runs as a worker of serve --workers (src/serve/cluster.ts)');

let server: RunningServer | null = null;
let draining = false;

const send = (message: WorkerMessage) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

process.on('message', (message: unknown) => {
  if (!isMessage(message)) return;
  const command = message as PrimaryMessage;
  if (command.type === 'start') {
    applyGymSettings(command.gym);
    void start(command.options);
  }
  else if (command.type === 'drain') void drain(command.drainTimeoutMs);
});

// The primary died (kill -9): nobody will say when to stop.
process.on('disconnect', () => void drain(undefined, false));

void send({ type: 'ready' });

async function start(options: Extract<PrimaryMessage, { type: 'start' }>['options']): Promise<void> {
  try {
    server = await startServer(options);
  } catch (error) {
    await send(failure(error));
    process.exit(error instanceof UsageError || fileSystemErrorMessage(error) !== undefined ? 2 : 1);
  }
  await send({
    type: 'listening',
    url: server.url,
    address: server.address,
    loopbackOnly: server.loopbackOnly,
    bodyLimit: server.bodyLimit,
    models: server.models.map((m) => ({ name: m.name, env: m.policy.spec.id, runtime: m.runtime })),
  });
}

/**
 * The first drain answers what was received (for its timeout), tells the primary and exits; a later one
 * brings the deadline forward. One during start-up exits at once: nothing can have been received.
 */
async function drain(drainTimeoutMs?: number, report = true): Promise<void> {
  if (draining) {
    void server?.close({ drainTimeoutMs: drainTimeoutMs ?? 0 });
    return;
  }
  draining = true;
  if (!server) process.exit(0);
  const result = await server.close(drainTimeoutMs === undefined ? {} : { drainTimeoutMs });
  if (report && process.connected) await send({ type: 'drained', result });
  process.exit(0);
}

/** What went wrong at start-up, in the one line the CLI would print for it in a single process. */
function failure(error: unknown): WorkerMessage {
  if (error instanceof UsageError) return { type: 'failed', usage: true, message: error.message };
  const fsMessage = fileSystemErrorMessage(error);
  if (fsMessage !== undefined) {
    const path = fileSystemErrorPath(error);
    return { type: 'failed', usage: true, message: path !== undefined ? `${fsMessage} (${path})` : fsMessage };
  }
  return { type: 'failed', usage: false, message: String((error as Error)?.message ?? error).split('\n')[0] };
}
