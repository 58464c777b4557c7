// When the primary of `serve --workers N` starts a new worker after one died: at once at first, then with a
// delay that doubles with every death in the last minute (a worker that dies at start-up again and again
// would otherwise spin), and never more than a limit per minute, past which the server stops (something is
// wrong that restarting does not fix: memory, the model file, the machine).

/** Options of createRestartPolicy(); each has a default. */
export interface RestartPolicyOptions {
  /** Restarts allowed within `windowMs`; one more stops the server (default 10). */
  maxRestarts?: number;
  /** The window deaths are counted in, in milliseconds (default 60 s). */
  windowMs?: number;
  /** Delay before the first restart in a window, in milliseconds (default 100). */
  baseDelayMs?: number;
  /** Longest delay, in milliseconds (default 5 s). */
  maxDelayMs?: number;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
}

/** The decision for one death: restart after `delayMs`, or give up. */
export type RestartDecision = { restart: true; delayMs: number; recent: number; maxRestarts: number } | { restart: false; recent: number; maxRestarts: number };

/** Decides, death by death, whether and when to restart. */
export interface RestartPolicy {
  /** Records a death now and says what to do about it. */
  died(): RestartDecision;
}

/** A policy with the given limits. */
export function createRestartPolicy(options: RestartPolicyOptions = {}): RestartPolicy {
  const maxRestarts = options.maxRestarts ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const now = options.now ?? Date.now;
  let deaths: number[] = [];
  return {
    died() {
      const t = now();
      deaths = deaths.filter((at) => t - at < windowMs);
      deaths.push(t);
      const recent = deaths.length;
      if (recent > maxRestarts) return { restart: false, recent, maxRestarts };
      return { restart: true, delayMs: Math.min(maxDelayMs, baseDelayMs * 2 ** (recent - 1)), recent, maxRestarts };
    },
  };
}
