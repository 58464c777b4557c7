// What the server counts, exposed at GET /metrics. Model labels only ever hold the names of loaded models
// (requests for unknown names are counted by route), so clients cannot grow the label set.
import { Counter, Gauge, Histogram, MetricsRegistry, type CounterSeries } from './prometheus.js';

/** Request latency buckets in seconds: 50 µs to 2.5 s. */
export const LATENCY_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Observations per inference call. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** The series of one loaded model, bound once so that a request increments them without building label keys. */
export interface ModelMetrics {
  /** An inference request (v1 act or v2 infer) answered with `status` after `seconds` in the server. */
  answered(status: number, seconds: number): void;
  /** Observations answered. */
  observed(count: number): void;
  /** An inference call of `count` observations. */
  inferred(count: number): void;
}

export interface ServeMetrics {
  registry: MetricsRegistry;
  /** A response on `route` (a route pattern, or 'unmatched') with `status`. */
  response(route: string, status: number): void;
  /** The bound series of the model called `name`. */
  forModel(name: string): ModelMetrics;
  /** Inference requests (v1 act and v2 infer) for a loaded model, by HTTP status. */
  requests: Counter;
  /** Inference requests that failed, by kind: 'invalid' (4xx) or 'inference' (5xx). */
  errors: Counter;
  /** Every response, by route pattern (or 'unmatched') and status. */
  responses: Counter;
  /** Seconds from receiving an inference request to sending its answer. */
  latency: Histogram;
  /** Observations in each inference call. */
  batchSize: Histogram;
  /** Inference calls made. */
  inferences: Counter;
  /** Observations answered. */
  observations: Counter;
}

/** A fresh registry with serve's metric families, and the process's memory gauges. */
export function createServeMetrics(): ServeMetrics {
  const registry = new MetricsRegistry();
  const requests = registry.register(new Counter('qdistill_requests_total', 'Inference requests (v1 act, v2 infer) by model and HTTP status.', ['model', 'status']));
  const errors = registry.register(new Counter('qdistill_errors_total', 'Failed inference requests by model and kind (invalid: 4xx, inference: 5xx).', ['model', 'kind']));
  const responses = registry.register(new Counter('qdistill_http_responses_total', 'All HTTP responses by route and status.', ['route', 'status']));
  const latency = registry.register(new Histogram('qdistill_request_duration_seconds', 'Inference request latency in the server, by model.', ['model'], LATENCY_BUCKETS_S));
  const batchSize = registry.register(new Histogram('qdistill_batch_size', 'Observations per inference call, by model.', ['model'], BATCH_SIZE_BUCKETS));
  const inferences = registry.register(new Counter('qdistill_inferences_total', 'Inference calls by model.', ['model']));
  const observations = registry.register(new Counter('qdistill_observations_total', 'Observations answered by model.', ['model']));
  const responseSeries = new Map<string, CounterSeries>();
  const modelMetrics = new Map<string, ModelMetrics>();
  const metrics: ServeMetrics = {
    registry,
    response(route, status) {
      const key = `${status} ${route}`;
      let series = responseSeries.get(key);
      if (!series) {
        series = responses.labels({ route, status: String(status) });
        responseSeries.set(key, series);
      }
      series.inc();
    },
    forModel(name) {
      let bound = modelMetrics.get(name);
      if (!bound) {
        bound = bindModel(name);
        modelMetrics.set(name, bound);
      }
      return bound;
    },
    requests,
    errors,
    responses,
    latency,
    batchSize,
    inferences,
    observations,
  };

  function bindModel(model: string): ModelMetrics {
    const byStatus = new Map<number, CounterSeries>();
    const took = latency.labels({ model });
    const invalid = errors.labels({ model, kind: 'invalid' });
    const failed = errors.labels({ model, kind: 'inference' });
    const observed = observations.labels({ model });
    const sizes = batchSize.labels({ model });
    const calls = inferences.labels({ model });
    return {
      answered(status, seconds) {
        let series = byStatus.get(status);
        if (!series) {
          series = requests.labels({ model, status: String(status) });
          byStatus.set(status, series);
        }
        series.inc();
        took.observe(seconds);
        if (status >= 500) failed.inc();
        else if (status >= 400) invalid.inc();
      },
      observed: (count) => observed.inc(count),
      inferred(count) {
        sizes.observe(count);
        calls.inc();
      },
    };
  }
  registry.register(new Gauge('process_resident_memory_bytes', 'Resident set size in bytes.', () => process.memoryUsage().rss));
  registry.register(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use in bytes.', () => process.memoryUsage().heapUsed));
  return metrics;
}
