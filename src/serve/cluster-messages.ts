// What the primary of `serve --workers N` (cluster.ts) and its workers (cluster-worker.ts) tell each other
// over the cluster's IPC channel. Everything in them is plain JSON.
import type { DrainResult } from './connections.js';
import type { ServeOptions } from './server.js';
import type { GymSettings } from '../gym/index.js';

/** A worker's server options: the primary's, without the functions (the pages are built by the primary). */
export type WorkerServeOptions = Omit<ServeOptions, 'webPages' | 'onWebSite'>;

/** A model as a worker loaded it, for the primary's listening line. */
export interface LoadedModelSummary {
  name: string;
  /** The environment id. */
  env: string;
  runtime: string;
}

/** Primary → worker. `drain` answers what was received and exits; a second one may bring the deadline forward. */
export type PrimaryMessage =
  /** `gym`: how the primary makes gym: envs (the --python, --env-kwargs, … it was given), for the worker to make them alike. */
  | { type: 'start'; options: WorkerServeOptions; gym: GymSettings }
  | { type: 'drain'; drainTimeoutMs?: number };

/** Worker → primary. `ready` first: a message sent before the worker listens for messages would be lost. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'listening'; url: string; address: string; loopbackOnly: boolean; bodyLimit: number; models: LoadedModelSummary[] }
  /** Start-up failed: `usage` when it is the user's input (a UsageError or a file error), said in one line. */
  | { type: 'failed'; usage: boolean; message: string }
  | { type: 'drained'; result: DrainResult };

/** True for an object that looks like a message of ours (the channel could carry others). */
export function isMessage(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
