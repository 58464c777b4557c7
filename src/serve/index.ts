// The serve stage: policy files in, an HTTP server out.
export { startServer, defaultBodyLimit, type RunningServer, type ServeOptions } from './server.js';
export { DEFAULT_MAX_REQUEST_BATCH } from './limits.js';
export { parseModelArguments, type NamedModel } from './names.js';
export type { FileReading, WebPageBuilder } from './web-pages.js';
export type { BatchingOptions, ModelToServe, ServedModel } from './models.js';
