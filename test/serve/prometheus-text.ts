// A strict reader of Prometheus' text exposition format 0.0.4, written from the format's specification
// (not from the server's renderer): HELP/TYPE comments, `name{label="value",...} value` samples, label
// value escapes \\ \" \n, and the histogram rules (cumulative _bucket series ending at le="+Inf", equal to
// _count). Anything off the grammar throws with the line number.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.slice(0, -1).split('\n').forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) return; // other comments are allowed
      const [, kind, name, rest] = match;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in ${where}`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`unknown type in ${where}`);
        if (types.has(name)) throw new Error(`second TYPE for ${name} in ${where}`);
        types.set(name, rest);
      }
      return;
    }
    samples.push(parseSample(line, where));
  });
  checkHistograms(types, samples);
  return { types, samples };
}

function parseSample(line: string, where: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error(`bad sample name in ${where}`);
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = /^([^=]+)="/.exec(rest);
      if (!label || !LABEL_NAME.test(label[1])) throw new Error(`bad label in ${where}`);
      rest = rest.slice(label[0].length);
      let value = '';
      for (;;) {
        if (rest === '') throw new Error(`unterminated label value in ${where}`);
        const c = rest[0];
        if (c === '"') break;
        if (c === '\\') {
          const escaped = rest[1];
          if (escaped === '\\') value += '\\';
          else if (escaped === '"') value += '"';
          else if (escaped === 'n') value += '\n';
          else throw new Error(`bad escape in ${where}`);
          rest = rest.slice(2);
        } else {
          value += c;
          rest = rest.slice(1);
        }
      }
      if (label[1] in labels) throw new Error(`repeated label ${label[1]} in ${where}`);
      labels[label[1]] = value;
      rest = rest.slice(1);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`expected , or } in ${where}`);
    }
    rest = rest.slice(1);
  }
  const valueMatch = /^ (\S+)( -?\d+)?$/.exec(rest);
  if (!valueMatch) throw new Error(`bad value in ${where}`);
  return { name, labels, value: parseValue(valueMatch[1], where) };
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad number in ${where}`);
  return Number(text);
}

const seriesOf = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort(([a], [b]) => a.localeCompare(b)));

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const bySeries = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
    const entry = (labels: Record<string, string>) => {
      const key = seriesOf(labels);
      if (!bySeries.has(key)) bySeries.set(key, { buckets: [] });
      return bySeries.get(key)!;
    };
    for (const s of samples) {
      if (s.name === `${name}_bucket`) {
        if (s.labels.le === undefined) throw new Error(`${name}_bucket without le`);
        entry(s.labels).buckets.push([parseValue(s.labels.le, `le of ${name}`), s.value]);
      } else if (s.name === `${name}_count`) entry(s.labels).count = s.value;
      else if (s.name === `${name}_sum`) entry(s.labels).sum = s.value;
    }
    for (const [key, series] of bySeries) {
      const { buckets, count, sum } = series;
      if (count === undefined || sum === undefined) throw new Error(`${name}${key} lacks _count or _sum`);
      if (buckets.length === 0 || buckets[buckets.length - 1][0] !== Infinity) throw new Error(`${name}${key} must end with le="+Inf"`);
      for (let i = 1; i < buckets.length; i++) {
        if (!(buckets[i][0] > buckets[i - 1][0])) throw new Error(`${name}${key}: bucket bounds not increasing`);
        if (buckets[i][1] < buckets[i - 1][1]) throw new Error(`${name}${key}: bucket counts not cumulative`);
      }
      if (buckets[buckets.length - 1][1] !== count) throw new Error(`${name}${key}: +Inf bucket ≠ _count`);
    }
  }
}

/** The value of the one sample with this name and these labels (0 when absent: counters start at 0). */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const matches = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${matches.length} samples match ${name} ${JSON.stringify(labels)}`);
  return matches[0]?.value ?? 0;
}
