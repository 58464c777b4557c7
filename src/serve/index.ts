// The serve stage: policy files in, an HTTP server out.
export { startServer, checkServeOptions, defaultBodyLimit, resolveTimeouts, type CloseOptions, type RunningServer, type ServeOptions, type ServeTimeouts } from './server.js';
export { startCluster, type ClusterOptions, type RunningCluster, type WorkerSummary } from './cluster.js';
export type { LoadedModelSummary } from './cluster-messages.js';
export type { RestartPolicyOptions } from './restart-policy.js';
export type { DrainResult } from './connections.js';
export { DEFAULT_MAX_REQUEST_BATCH, DRAIN_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT, REQUEST_TIMEOUT } from './limits.js';
export { AUTH_TOKEN_ENV, checkAuthToken, checkHost, isLoopbackAddress } from './access.js';
export { parseModelArguments, type NamedModel } from './names.js';
export type { FileReading, WebPageBuilder } from './web-pages.js';
export type { BatchingOptions, ModelToServe, ServedModel } from './models.js';
