// The thread that owns one bridge process (see bridge.ts). The thread that steps the env waits on a shared
// counter while this one does the asynchronous part: it writes request frames to the child's stdin, cuts
// the child's stdout into frames, and hands each frame (or the child's death) back through a MessagePort,
// bumping the counter after every message.
//
// The thread runs the plain JavaScript below (an eval'd worker), not a module of ours: it then starts the
// same way from the build, from the sources under tsx, and from inside another worker thread (eval
// --workers), where a tsx-loaded worker entry does not start.
import type { MessagePort } from 'node:worker_threads';

/** What the bridge thread starts with (its workerData). */
export interface BridgeWorkerData {
  python: string;
  script: string;
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] counts the messages posted to `port`. */
  signal: Int32Array;
  /** Pass what the env writes to stderr through to ours (QDISTILL_GYM_STDERR=1); else only its last line is shown, when it dies. */
  echoStderr: boolean;
}

/** From the stepping thread: a frame to write, or the order to end the child. */
export type ToBridge = { type: 'send'; frame: Uint8Array } | { type: 'kill' };

/** To the stepping thread. */
export type FromBridge =
  | { type: 'spawned'; pid: number; stdinFd: number }
  | { type: 'frame'; header: Record<string, unknown>; payload: Uint8Array }
  | { type: 'exit'; code: number | null; signal: string | null; stderr: string }
  | { type: 'spawn-error'; code: string; message: string }
  | { type: 'garbled'; message: string };

/** The bridge thread's program (CommonJS script, run with `new Worker(source, { eval: true })`). */
export const BRIDGE_WORKER_SOURCE = String.raw`
const { spawn } = require('node:child_process');
const { workerData } = require('node:worker_threads');
const { python, script, port, signal, echoStderr } = workerData;
const STDERR_KEPT = 4096;

function post(message, transfer) {
  port.postMessage(message, transfer || []);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

// -u: unbuffered, so a frame is never stuck in Python's buffer; the env's own prints go to stderr.
const child = spawn(python, ['-u', script], { stdio: ['pipe', 'pipe', 'pipe'] });
let stderr = '';
let pending = Buffer.alloc(0);
let spawned = false;

child.on('spawn', () => {
  spawned = true;
  // The stdin pipe's fd: the stepping thread writes its requests to it directly, one thread hop fewer.
  post({ type: 'spawned', pid: child.pid, stdinFd: child.stdin._handle ? child.stdin._handle.fd : -1 });
});
child.on('error', (error) => {
  if (!spawned) post({ type: 'spawn-error', code: error.code || '', message: error.message });
});
child.on('exit', (code, sig) => {
  post({ type: 'exit', code, signal: sig, stderr });
  port.close();
});
child.stdin.on('error', () => {}); // a dead child's EPIPE: reported through 'exit'
child.stderr.on('data', (chunk) => {
  if (echoStderr) process.stderr.write(chunk);
  stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
});
child.stdout.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  for (;;) {
    if (pending.length < 4) return;
    const headerLength = pending.readUInt32LE(0);
    if (pending.length < 4 + headerLength) return;
    let header;
    try {
      header = JSON.parse(pending.subarray(4, 4 + headerLength).toString('utf8'));
    } catch {
      // Not a frame: something wrote to the protocol's stdout; nothing after this can be trusted.
      post({ type: 'garbled', message: 'the bridge wrote ' + JSON.stringify(pending.subarray(0, 40).toString('latin1')) + '… where a frame was due' });
      child.kill('SIGKILL');
      pending = Buffer.alloc(0);
      return;
    }
    const end = 4 + headerLength + Number(header.payload || 0);
    if (pending.length < end) return;
    const payload = new Uint8Array(end - 4 - headerLength);
    payload.set(pending.subarray(4 + headerLength, end));
    pending = pending.subarray(end);
    post({ type: 'frame', header, payload }, [payload.buffer]);
  }
});

port.on('message', (message) => {
  if (message.type === 'kill') child.kill('SIGKILL');
  else child.stdin.write(message.frame);
});
`;
