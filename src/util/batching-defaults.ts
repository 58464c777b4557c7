// The micro-batching defaults and ranges that `qdistill serve` and `qdistill export triton` share, so that a model
// served by our server and the same model deployed on Triton batch alike. A name module: no imports, so the
// CLI can print them in --help without loading a stage.

/** How long, in microseconds, a batch waits for more requests after its first one (`--batch-window-us`). */
export const DEFAULT_BATCH_WINDOW_US = 200;

/** The most observations one inference call takes (`--max-batch`); a batch runs as soon as it is full. */
export const DEFAULT_MAX_BATCH = 64;

/** The values `--batch-window-us` accepts, in microseconds (0: run what has arrived at once). */
export const BATCH_WINDOW_US_RANGE = { min: 0, max: 10_000_000 } as const;

/** The values `--max-batch` accepts. */
export const MAX_BATCH_RANGE = { min: 1, max: 65_536 } as const;
