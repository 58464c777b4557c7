// Micro-batching: observations that arrive for one model within a short window run as one qValues call.
// A tiny policy costs about the same for 1 or 64 rows, so under load this trades a few hundred
// microseconds of waiting for far fewer inference calls. A failed call rejects only the requests in it.
//
// setTimeout cannot wait less than a millisecond, so windows below 1 ms poll with setImmediate: each turn
// lets the event loop read the sockets (new requests join the batch) before the clock is checked again. A
// turn that brought no new request ends the wait early: then nobody else is on the way (under closed-loop
// load every client is waiting for this batch), and polling on would only burn the CPU the clients need.

export type InferFn = (observations: Float32Array, count: number) => Promise<Float32Array>;

export interface BatcherOptions {
  /** Values in one observation. */
  observationSize: number;
  /** Values the policy returns per observation (the action count). */
  outputSize: number;
  /** Longest wait for more requests after the first one of a batch arrives, in microseconds. */
  batchWindowUs: number;
  /** A batch runs as soon as it holds this many observations. */
  maxBatch: number;
  /** Told the number of observations in every call made (for metrics). */
  onBatch?: (observations: number) => void;
}

interface Waiting {
  observations: Float32Array;
  count: number;
  resolve(outputs: Float32Array): void;
  reject(error: unknown): void;
}

export interface Batcher {
  /** Outputs for `count` observations; they may share one inference call with other requests. */
  submit(observations: Float32Array, count: number): Promise<Float32Array>;
  /** Runs whatever is waiting now (used on shutdown). */
  flush(): void;
  /** Resolves once every inference call started so far has ended (so the policy can be disposed). */
  settled(): Promise<void>;
}

/** A batcher that groups the observations submitted within `batchWindowUs` (up to `maxBatch`) into one `infer` call. */
export function createBatcher(infer: InferFn, options: BatcherOptions): Batcher {
  let waiting: Waiting[] = [];
  let rows = 0;
  let openedAt = 0;
  // Requests in the open batch when the previous poll looked.
  let seen = 0;
  let timer: NodeJS.Timeout | null = null;
  // Each window has a number; a poll left over from an earlier window sees another number and stops.
  let windowId = 0;
  const running = new Set<Promise<void>>();
  const windowMs = options.batchWindowUs / 1000;

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    windowId++;
    if (waiting.length === 0) return;
    const batch = waiting;
    const count = rows;
    waiting = [];
    rows = 0;
    const call = run(batch, count);
    running.add(call);
    void call.finally(() => running.delete(call));
  }

  async function run(batch: Waiting[], count: number): Promise<void> {
    const input = batch.length === 1 ? batch[0].observations : concat(batch, count, options.observationSize);
    options.onBatch?.(count);
    let outputs: Float32Array;
    try {
      outputs = await infer(input, count);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    if (batch.length === 1) {
      batch[0].resolve(outputs);
      return;
    }
    let row = 0;
    for (const item of batch) {
      item.resolve(outputs.slice(row * options.outputSize, (row + item.count) * options.outputSize));
      row += item.count;
    }
  }

  function poll(id: number): void {
    if (id !== windowId) return;
    if (waiting.length === seen || performance.now() - openedAt >= windowMs) flush();
    else {
      seen = waiting.length;
      setImmediate(poll, id);
    }
  }

  function startWindow(): void {
    openedAt = performance.now();
    seen = 0;
    if (options.batchWindowUs >= 1000) {
      timer = setTimeout(flush, options.batchWindowUs / 1000);
    } else {
      setImmediate(poll, windowId);
    }
  }

  function submit(observations: Float32Array, count: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      // A request that would overflow the open batch starts the next one instead of splitting.
      if (rows > 0 && rows + count > options.maxBatch) flush();
      waiting.push({ observations, count, resolve, reject });
      rows += count;
      if (rows >= options.maxBatch) flush();
      else if (waiting.length === 1) startWindow();
    });
  }

  return { submit, flush, settled: () => Promise.all(running).then(() => {}) };
}

/** No batching: every request is its own inference call. */
export function directBatcher(infer: InferFn, onBatch?: (observations: number) => void): Batcher {
  // A count rather than a set of the calls: nothing is allocated per call beyond the call itself.
  let running = 0;
  let idle: (() => void)[] = [];
  return {
    async submit(observations, count) {
      onBatch?.(count);
      running++;
      try {
        return await infer(observations, count);
      } finally {
        if (--running === 0 && idle.length > 0) {
          for (const resolve of idle) resolve();
          idle = [];
        }
      }
    },
    flush() {},
    settled: () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve))),
  };
}

function concat(batch: Waiting[], count: number, observationSize: number): Float32Array {
  const input = new Float32Array(count * observationSize);
  let offset = 0;
  for (const item of batch) {
    input.set(item.observations, offset);
    offset += item.observations.length;
  }
  return input;
}
