// The Node end of the Gymnasium bridge: a vector of the user's Python environments, stepped synchronously
// (every Env in qdistill is), with a timeout on every reply. The child process belongs to a worker thread
// (bridge-worker.ts); this thread posts a request and sleeps on a shared counter until the worker has the
// reply, so one round trip costs two thread wake-ups and the pipe, and a hung env cannot hang qdistill.
import { existsSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { UsageError } from '../util/errors.js';
import { BRIDGE_WORKER_SOURCE, type BridgeWorkerData, type FromBridge, type ToBridge } from './bridge-worker.js';

/** How to make a user's Gymnasium environment. */
export interface GymEnvOptions {
  /**
   * A registered Gymnasium id ('CartPole-v1', 'ALE/Pong-v5'), or a class as 'path/to/file.py:ClassName' or
   * 'package.module:ClassName' (a Gymnasium-API class; then gymnasium itself need not be installed).
   */
  env: string;
  /** Keyword arguments of gymnasium.make (or of the class); `max_episode_steps` sets the time limit. */
  kwargs?: Record<string, unknown>;
  /** The Python that has the env's packages (default: $QDISTILL_PYTHON, else `python3`). */
  python?: string;
  /** Named wrappers, applied in order: 'atari' (SB3's make_atari_env preprocessing and a 4-frame stack). */
  wrappers?: string[];
  /** Seconds to wait for any reply before the env counts as hung (default 60; making the envs: 4× that). */
  timeoutSeconds?: number;
}

/** What the bridge says about the env once it has made it. */
export interface BridgeHello {
  protocol: number;
  pid: number;
  python: string;
  observation_shape: number[];
  observation_dtype: 'float32' | 'uint8';
  actions: number;
  action_start: number;
  max_episode_steps: number | null;
  reward_threshold: number | null;
  num_envs: number;
}

/** One step of several envs of the vector. */
export interface BridgeStep {
  observations: Float32Array[];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

/** The bridge's protocol version; the Python side reports its own in the hello. */
export const BRIDGE_PROTOCOL = 1;
const DEFAULT_TIMEOUT_SECONDS = 60;

/** The Python file shipped in the package (python/ at the package root, two levels above this module). */
export function bridgeScript(): string {
  return fileURLToPath(new URL('../../python/qdistill_gym_bridge.py', import.meta.url));
}

/** The Python that runs the bridge: the option, else $QDISTILL_PYTHON, else python3. */
export function bridgePython(python?: string): string {
  return python || process.env.QDISTILL_PYTHON || 'python3';
}

const live = new Set<GymBridge>();
let exitHookInstalled = false;

/** A vector of `size` copies of one Gymnasium env in one Python process. */
export class GymBridge {
  readonly hello: BridgeHello;
  readonly where: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly timeoutMs: number;
  private readonly python: string;
  private pid = 0;
  /** The child's stdin (a pipe fd of this process) once known, else -1: requests then go through the worker. */
  private stdinFd = -1;
  private closed = false;

  constructor(readonly options: GymEnvOptions, readonly size: number) {
    this.where = `gym:${options.env}`;
    this.python = bridgePython(options.python);
    this.timeoutMs = (options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    const script = bridgeScript();
    if (!existsSync(script)) throw new Error(`the Gymnasium bridge script is missing from the package: ${script}`);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const workerData: BridgeWorkerData = { python: this.python, script, port: port2, signal: this.signal, echoStderr: process.env.QDISTILL_GYM_STDERR === '1' };
    this.worker = new Worker(BRIDGE_WORKER_SOURCE, { eval: true, workerData, transferList: [port2], stdout: false });
    this.worker.unref();
    live.add(this);
    installExitHook();
    const reply = this.call({ op: 'make', env: options.env, kwargs: options.kwargs ?? {}, wrappers: options.wrappers ?? [], num_envs: size }, 'making the env', this.timeoutMs * 4);
    this.hello = reply.header as unknown as BridgeHello;
    if (this.hello.protocol !== BRIDGE_PROTOCOL) this.fail(`the bridge speaks protocol ${this.hello.protocol}, this qdistill ${BRIDGE_PROTOCOL}`);
  }

  /** Observation values per env. */
  get observationSize(): number {
    return this.hello.observation_shape.reduce((a, b) => a * b, 1);
  }

  /** Resets envs `indices` (seed null: the env's own stream continues) and returns their first observations. */
  reset(indices: number[], seeds: (number | null)[]): Float32Array[] {
    const reply = this.call({ op: 'reset', envs: indices, seeds }, 'reset');
    return this.rows(reply, indices.length);
  }

  /** Plays `actions[k]` in env `indices[k]`; an env that ended must be reset before it steps again. */
  step(indices: number[], actions: ArrayLike<number>): BridgeStep {
    const reply = this.call({ op: 'step', envs: indices, actions: Array.from(actions, Number) }, 'step');
    const h = reply.header as { reward: number[]; terminated: boolean[]; truncated: boolean[] };
    return { observations: this.rows(reply, indices.length), rewards: h.reward, terminated: h.terminated, truncated: h.truncated };
  }

  /** Ends the Python process (it closes its envs) and the thread that owned it; waits until it is gone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    try {
      this.send({ op: 'close' });
      if (!this.awaitExit(5000)) {
        this.kill();
        this.awaitExit(2000);
      }
    } finally {
      void this.worker.terminate();
    }
  }

  private rows(reply: { header: Record<string, unknown>; payload: Uint8Array }, count: number): Float32Array[] {
    const size = this.observationSize;
    const uint8 = reply.header.dtype === 'uint8';
    const expected = count * size * (uint8 ? 1 : 4);
    if (reply.payload.length !== expected) this.fail(`the bridge sent ${reply.payload.length} bytes of observations, expected ${expected}`);
    const rows: Float32Array[] = [];
    for (let k = 0; k < count; k++) {
      rows.push(uint8 ? Float32Array.from(reply.payload.subarray(k * size, (k + 1) * size)) : new Float32Array(reply.payload.buffer, reply.payload.byteOffset + k * size * 4, size));
    }
    return rows;
  }

  private send(header: Record<string, unknown>): void {
    const body = Buffer.from(JSON.stringify({ ...header, payload: 0 }), 'utf8');
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length, true);
    frame.set(body, 4);
    let written = 0;
    // Straight into the pipe when it takes the frame now (a request is small). What it does not take, and
    // every request before the pipe's fd is known, goes through the worker, which writes it in order; the
    // next request is only sent after this one's reply, so the two paths never interleave. A dead child's
    // EPIPE is not reported here: its exit, which the worker reports next, says why it died.
    if (this.stdinFd >= 0) {
      try {
        while (written < frame.length) written += writeSync(this.stdinFd, frame, written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') this.stdinFd = -1;
      }
    }
    if (written < frame.length) {
      const rest = frame.slice(written);
      this.port.postMessage({ type: 'send', frame: rest } satisfies ToBridge, [rest.buffer]);
    }
  }


  /** Sends a request and waits for its reply frame; an error reply, the child's death or a timeout throw UsageError. */
  private call(header: Record<string, unknown>, what: string, timeoutMs = this.timeoutMs): { header: Record<string, unknown>; payload: Uint8Array } {
    if (this.closed) throw new Error(`${this.where}: the bridge is closed`);
    this.send(header);
    const message = this.next(timeoutMs, what);
    if (message.type === 'frame') {
      if (message.header.ok === false) this.fail(String(message.header.error));
      return message;
    }
    if (message.type === 'spawn-error') {
      this.fail(message.code === 'ENOENT' ? `no Python '${this.python}' to run the env (pass --python PATH or set QDISTILL_PYTHON)` : `cannot start ${this.python}: ${message.message}`, true);
    }
    if (message.type === 'garbled') this.fail(message.message);
    // 'exit': the child died without answering.
    const said = lastLine(message.stderr);
    const cause = said || (message.signal ? `killed by ${message.signal}` : `exit code ${message.code}`);
    const hint = !said && !message.signal && what === 'making the env' ? ` (is '${this.python}' a Python 3 with numpy?)` : '';
    this.fail(`the env's Python process (${this.python}) ended during ${what}: ${cause}${hint}`, true);
  }

  /** The next message of the worker (other than 'spawned'), waiting at most `timeoutMs`. */
  private next(timeoutMs: number, what: string): Exclude<FromBridge, { type: 'spawned' }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const got = receiveMessageOnPort(this.port)?.message as FromBridge | undefined;
      if (got) {
        if (got.type === 'spawned') {
          this.pid = got.pid;
          this.stdinFd = got.stdinFd;
        } else return got;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) this.fail(`the env did not answer ${what} within ${timeoutMs / 1000} s (hung? raise --env-timeout)`);
      Atomics.wait(this.signal, 0, seen, left);
    }
  }

  /** Waits up to `ms` for the child to be gone (its exit seen, so the worker thread has reaped it). */
  private awaitExit(ms: number): boolean {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const seen = Atomics.load(this.signal, 0);
      const got = receiveMessageOnPort(this.port)?.message as FromBridge | undefined;
      if (got?.type === 'spawned') this.pid = got.pid;
      if (got?.type === 'exit' || got?.type === 'spawn-error') return true;
      if (!got) Atomics.wait(this.signal, 0, seen, Math.max(1, deadline - Date.now()));
    }
    return false;
  }

  /** Sends SIGKILL to the child (through the worker while its pid is not known yet). */
  kill(): void {
    if (this.pid) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    } else {
      this.port.postMessage({ type: 'kill' } satisfies ToBridge);
    }
  }

  /** Ends the bridge (no child survives an error) and throws the one-line UsageError. */
  private fail(message: string, childGone = false): never {
    if (!this.closed) {
      this.closed = true;
      live.delete(this);
      if (!childGone) {
        this.kill();
        // A kill sent before the worker reported the pid goes through the worker instead.
        if (!this.awaitExit(2000) && this.pid) {
          this.kill();
          this.awaitExit(1000);
        }
      }
      void this.worker.terminate();
    }
    throw new UsageError(message, this.where);
  }
}

/** The last non-empty line of a Python error output (the exception itself, after its traceback). */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? '';
}

/** Kills every bridge still open when the process exits, however it exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const bridge of live) bridge.kill();
  });
}
