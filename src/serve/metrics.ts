// What the server counts, exposed at GET /metrics. Model labels only ever hold the names of loaded models
// (requests for unknown names are counted by route), so clients cannot grow the label set.
import { Counter, Gauge, Histogram, MetricsRegistry } from './prometheus.js';

/** Request latency buckets in seconds: 50 µs to 2.5 s. */
export const LATENCY_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Observations per inference call. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export interface ServeMetrics {
  registry: MetricsRegistry;
  /** Act requests for a loaded model, by HTTP status. */
  requests: Counter;
  /** Act requests that failed, by kind: 'invalid' (4xx) or 'inference' (5xx). */
  errors: Counter;
  /** Every response, by route pattern (or 'unmatched') and status. */
  responses: Counter;
  /** Seconds from receiving an act request to sending its answer. */
  latency: Histogram;
  /** Observations in each inference call. */
  batchSize: Histogram;
  /** Inference calls made. */
  inferences: Counter;
  /** Observations answered. */
  observations: Counter;
}

export function createServeMetrics(): ServeMetrics {
  const registry = new MetricsRegistry();
  const metrics: ServeMetrics = {
    registry,
    requests: registry.register(new Counter('qdistill_requests_total', 'Act requests by model and HTTP status.', ['model', 'status'])),
    errors: registry.register(new Counter('qdistill_errors_total', 'Failed act requests by model and kind (invalid: 4xx, inference: 5xx).', ['model', 'kind'])),
    responses: registry.register(new Counter('qdistill_http_responses_total', 'All HTTP responses by route and status.', ['route', 'status'])),
    latency: registry.register(new Histogram('qdistill_request_duration_seconds', 'Act request latency in the server, by model.', ['model'], LATENCY_BUCKETS_S)),
    batchSize: registry.register(new Histogram('qdistill_batch_size', 'Observations per inference call, by model.', ['model'], BATCH_SIZE_BUCKETS)),
    inferences: registry.register(new Counter('qdistill_inferences_total', 'Inference calls by model.', ['model'])),
    observations: registry.register(new Counter('qdistill_observations_total', 'Observations answered by model.', ['model'])),
  };
  registry.register(new Gauge('process_resident_memory_bytes', 'Resident set size in bytes.', () => process.memoryUsage().rss));
  registry.register(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use in bytes.', () => process.memoryUsage().heapUsed));
  return metrics;
}
