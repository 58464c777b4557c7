// Request limits with their defaults, apart from the server so that `--help` loads no HTTP stack.

/** Observations one request may carry at most, by default. */
export const DEFAULT_MAX_REQUEST_BATCH = 1024;
