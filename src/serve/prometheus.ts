// Counters, gauges and histograms in Prometheus' text exposition format (version 0.0.4). Written here
// rather than taking prom-client: the server needs four metric families and a renderer, about a
// hundred lines, where prom-client would add a dependency with its own registry and default collectors.

type Labels = Record<string, string>;

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  render(): string[];
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
}

function header(name: string, help: string, type: string): string[] {
  return [`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`];
}

/** Label values in a fixed order, so the same labels given in any order land on one series. */
function seriesKey(labelNames: string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ''));
}

function pick(labelNames: string[], labels: Labels): Labels {
  return Object.fromEntries(labelNames.map((n) => [n, labels[n] ?? '']));
}

/** One series of a counter, its labels fixed: what the request path increments without building a key each time. */
export interface CounterSeries {
  inc(by?: number): void;
}

/** One series of a histogram, its labels fixed. */
export interface HistogramSeries {
  observe(value: number): void;
}

export class Counter implements Family {
  private readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, private readonly help: string, private readonly labelNames: string[] = []) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = seriesKey(this.labelNames, labels);
    const entry = this.series.get(key);
    if (entry) entry.value += by;
    else this.series.set(key, { labels: pick(this.labelNames, labels), value: by });
  }

  /** The series of these labels; it appears in the output once first incremented, as with inc(labels). */
  labels(labels: Labels): CounterSeries {
    const key = seriesKey(this.labelNames, labels);
    let entry = this.series.get(key);
    return {
      inc: (by = 1) => {
        if (!entry) {
          entry = this.series.get(key) ?? { labels: pick(this.labelNames, labels), value: 0 };
          this.series.set(key, entry);
        }
        entry.value += by;
      },
    };
  }

  render(): string[] {
    return [...header(this.name, this.help, 'counter'), ...[...this.series.values()].map((s) => `${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`)];
  }
}

/** A value read when the metrics are scraped. */
export class Gauge implements Family {
  constructor(readonly name: string, private readonly help: string, private readonly read: () => number) {}

  render(): string[] {
    return [...header(this.name, this.help, 'gauge'), `${this.name} ${formatValue(this.read())}`];
  }
}

export class Histogram implements Family {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  private readonly buckets: number[];

  constructor(readonly name: string, private readonly help: string, private readonly labelNames: string[], buckets: number[]) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    this.labels(labels).observe(value);
  }

  /** The series of these labels; it appears in the output once a value is observed, as with observe(labels, value). */
  labels(labels: Labels): HistogramSeries {
    const key = seriesKey(this.labelNames, labels);
    const buckets = this.buckets;
    let entry = this.series.get(key);
    return {
      observe: (value: number) => {
        if (!entry) {
          entry = this.series.get(key) ?? { labels: pick(this.labelNames, labels), counts: buckets.map(() => 0), sum: 0, count: 0 };
          this.series.set(key, entry);
        }
        // Counts are stored per bucket and made cumulative when rendered.
        let index = 0;
        while (index < buckets.length && value > buckets[index]) index++;
        if (index < buckets.length) entry.counts[index]++;
        entry.sum += value;
        entry.count++;
      },
    };
  }

  render(): string[] {
    const lines = header(this.name, this.help, 'histogram');
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((upper, i) => {
        cumulative += s.counts[i];
        lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: formatValue(upper) })} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly families: Family[] = [];

  register<T extends Family>(family: T): T {
    this.families.push(family);
    return family;
  }

  render(): string {
    return this.families.map((f) => f.render().join('\n')).join('\n') + '\n';
  }
}
