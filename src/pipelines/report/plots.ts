// The report's three plots, as inline SVG strings: reward against file size, latency per runtime, and the
// distribution of episode returns of each model.
import { formatMicros } from '../../benchmark/index.js';
import type { CompareReport } from './types.js';
import { bar, colorAt, errorBar, legend, line, linearScale, logScale, point, svgDocument, text, xAxis, yAxis, type Box, type Scale } from './svg.js';
import { formatReward } from './tables.js';

/** Decimal byte sizes for a log axis: 100 B, 1 kB, 10 kB, 1 MB. */
export function decimalBytes(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)} MB`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)} kB`;
  return `${+v.toPrecision(3)} B`;
}

const box = (width: number, height: number, left = 78, right = 24, top = 34, bottom = 56): Box => ({ left, right: width - right, top, bottom: height - bottom });

export function rewardVsSizePlot(report: CompareReport): string {
  const [width, height] = [680, 400];
  const b = box(width, height);
  const sizes = report.models.map((m) => m.bytes);
  const x = logScale(Math.min(...sizes), Math.max(...sizes), [b.left, b.right], decimalBytes);
  const lows = report.models.map((m) => m.reward.mean - m.reward.std);
  const highs = report.models.map((m) => m.reward.mean + m.reward.std);
  const low = Math.min(...lows, report.randomReward);
  const high = Math.max(...highs, report.randomReward);
  // Headroom so that points at the top (CartPole's 500) and their labels stay inside the frame.
  const span = high - low || Math.abs(high) || 1;
  const y = linearScale(low - 0.03 * span, high + 0.08 * span, [b.bottom, b.top], 6);
  const parts = [xAxis(x, b, 'model file size (bytes, log scale)'), yAxis(y, b, `return, mean ± std (${report.episodes} episodes)`)];
  const randomY = y.map(report.randomReward);
  parts.push(line(b.left, randomY, b.right, randomY, 'baseline'), text(b.right - 4, randomY - 5, `random policy ${report.randomReward.toFixed(1)}`, { anchor: 'end', className: 'note' }));
  const bySize = report.models.map((_, i) => i).sort((a, c) => report.models[a].bytes - report.models[c].bytes);
  report.models.forEach((m, i) => {
    const px = x.map(m.bytes);
    const py = y.map(m.reward.mean);
    const color = colorAt(i);
    const tooltip = `${m.label}: ${formatReward(m.reward.mean, m.reward.std)} over ${m.reward.episodes} episodes, ${m.bytes.toLocaleString('en-US')} bytes`;
    parts.push(errorBar(px, y.map(m.reward.mean - m.reward.std), y.map(m.reward.mean + m.reward.std)), point(px, py, 5, color, tooltip));
    // Labels go to the side with room; in order of size they take four heights in turn, so labels of points at
    // the same return (CartPole's 500) that grow towards each other from both ends do not overlap.
    const right = px < (b.left + b.right) / 2;
    const dy = [-8, 18, -34, 44][bySize.indexOf(i) % 4];
    parts.push(text(px + (right ? 9 : -9), py + dy, `${m.label}`, { anchor: right ? 'start' : 'end', className: 'point-label' }));
    parts.push(text(px + (right ? 9 : -9), py + dy + 13, `${formatReward(m.reward.mean, m.reward.std)} · ${m.bytes.toLocaleString('en-US')} B`, { anchor: right ? 'start' : 'end', className: 'note' }));
  });
  parts.push(text(b.left, 20, 'Return against size', { className: 'plot-title' }));
  return svgDocument(width, height, 'Return against model file size', parts);
}

/** Where the browser runtime's round trip dwarfs onnxruntime's microseconds, a linear axis hides the rest. */
function latencyScale(p50s: number[], p99s: number[], b: Box): { scale: Scale; log: boolean } {
  const low = Math.min(...p50s);
  const high = Math.max(...p99s);
  const log = high / Math.max(low, 1e-9) > 30;
  const scale = log ? logScale(low, high, [b.bottom, b.top], formatMicros) : linearScale(0, high, [b.bottom, b.top], 5, formatMicros);
  return { scale, log };
}

export function latencyPlot(report: CompareReport): string {
  const runtimes = report.latency.runtimes;
  const results = report.latency.results;
  const barWidth = 28;
  const groupWidth = Math.max(runtimes.length * (barWidth + 6), 190);
  const width = Math.max(520, 88 + 24 + report.models.length * (groupWidth + 24));
  const height = 400;
  const b = box(width, height, 88, 24, 48, 70);
  if (results.length === 0) return svgDocument(width, 120, 'Latency per runtime', [text(20, 40, 'no runtime was benchmarked', { className: 'note' })]);
  const { scale: y, log } = latencyScale(results.map((r) => r.single.p50Us), results.map((r) => r.single.p99Us), b);
  const parts = [yAxis(y, b, `single-observation latency, µs${log ? ' (log scale)' : ''}`, 62), line(b.left, b.bottom, b.right, b.bottom, 'axis')];
  const base = log ? b.bottom : y.map(0);
  report.models.forEach((m, g) => {
    const groupLeft = b.left + 12 + g * (groupWidth + 24);
    const barsLeft = groupLeft + (groupWidth - runtimes.length * (barWidth + 6)) / 2;
    runtimes.forEach((runtime, k) => {
      const r = results.find((x) => x.file === m.file && x.runtime === runtime);
      if (!r) return;
      const left = barsLeft + k * (barWidth + 6);
      const top = y.map(r.single.p50Us);
      const center = left + barWidth / 2;
      parts.push(
        bar(left, top, barWidth, base - top, colorAt(k), `${m.label} on ${runtime}: p50 ${formatMicros(r.single.p50Us)} µs, p90 ${formatMicros(r.single.p90Us)} µs, p99 ${formatMicros(r.single.p99Us)} µs`),
        errorBar(center, top, y.map(r.single.p99Us), 5),
        text(center, y.map(r.single.p99Us) - 5, formatMicros(r.single.p50Us), { anchor: 'middle', className: 'note' }),
      );
    });
    const slash = m.label.lastIndexOf('/');
    const labelX = groupLeft + groupWidth / 2;
    parts.push(text(labelX, b.bottom + 18, slash > 0 ? m.label.slice(0, slash + 1) : m.label, { anchor: 'middle', className: 'tick' }));
    if (slash > 0) parts.push(text(labelX, b.bottom + 32, m.label.slice(slash + 1), { anchor: 'middle', className: 'tick' }));
  });
  parts.push(text(b.left, 20, 'Latency per runtime: bar p50, whisker p99', { className: 'plot-title' }));
  parts.push(legend(runtimes.map((name, k) => ({ label: name, color: colorAt(k) })), b.left, 38));
  return svgDocument(width, height, 'Single-observation latency per runtime (p50 bars, p99 whiskers)', parts);
}

/** One histogram per model, on shared bins and a shared count axis so that they compare at a glance. */
export function returnHistograms(report: CompareReport): string[] {
  const all = report.models.flatMap((m) => m.reward.returns);
  const [width, height] = [420, 230];
  const b = box(width, height, 58, 16, 40, 50);
  // Bins span the returns seen; when every episode returned the same (CartPole's 500), one bin centred on it.
  let [lo, hi] = [Math.min(...all), Math.max(...all)];
  const binCount = hi > lo ? Math.min(20, Math.max(5, Math.ceil(Math.sqrt(report.episodes)))) : 1;
  const same = hi === lo;
  if (same) [lo, hi] = [lo - 0.5, hi + 0.5];
  const binWidth = (hi - lo) / binCount;
  const x = same ? linearScale(lo - 4.5, hi + 4.5, [b.left, b.right], 5) : linearScale(lo, hi, [b.left, b.right], 5);
  const counts = report.models.map((m) => {
    const bins = new Array<number>(binCount).fill(0);
    for (const r of m.reward.returns) bins[Math.min(binCount - 1, Math.floor((r - lo) / binWidth))]++;
    return bins;
  });
  const maxCount = Math.max(1, ...counts.flat());
  const y = linearScale(0, maxCount, [b.bottom, b.top], Math.min(5, maxCount), (v) => String(Math.round(v)));
  return report.models.map((m, i) => {
    const parts = [xAxis(x, b, 'episode return'), yAxis(y, b, 'episodes', 40)];
    counts[i].forEach((count, k) => {
      const from = lo + k * binWidth;
      const left = x.map(from);
      const right = x.map(from + binWidth);
      const tooltip = `${count} episodes with return in [${from.toFixed(1)}, ${(from + binWidth).toFixed(1)}${k === binCount - 1 ? ']' : ')'}`;
      parts.push(bar(left + 0.5, y.map(count), right - left - 1, y.map(0) - y.map(count), colorAt(i), tooltip));
    });
    const meanX = x.map(m.reward.mean);
    parts.push(line(meanX, b.top, meanX, b.bottom, 'mean-line'));
    parts.push(text(b.left, 16, m.label, { className: 'plot-title small' }), text(b.left, 30, `mean ${formatReward(m.reward.mean, m.reward.std)} (dashed line)`, { className: 'note' }));
    return svgDocument(width, height, `Returns of ${m.label} over ${m.reward.episodes} episodes`, parts);
  });
}
