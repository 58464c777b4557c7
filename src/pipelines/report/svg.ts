// Small SVG building blocks for the report's plots: scales with readable ticks, axes, bars, points, error
// bars, legends. Written here rather than taken from a charting library because the report must be one
// file that opens offline with no script at all; every string placed in the SVG is escaped.

import { escapeXml } from '../../util/escape.js';

export { escapeXml };

/** Coordinates rounded to 0.1 px keep the file small without visible effect. */
const px = (v: number) => String(Math.round(v * 10) / 10);

export interface Scale {
  /** Data value → pixel. */
  map(value: number): number;
  domain: [number, number];
  ticks: number[];
  format(value: number): string;
}

/** A step of 1, 2 or 5 × 10^k giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Linear scale whose domain is widened to whole ticks (an empty range becomes ±1 around the value). */
export function linearScale(min: number, max: number, range: [number, number], tickCount = 5, format?: (v: number) => string): Scale {
  if (!(max > min)) [min, max] = [min - 1, max + 1];
  const step = niceStep(max - min, tickCount);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  const decimals = decimalsOf(step);
  return {
    domain: [lo, hi],
    ticks,
    map: (v) => range[0] + ((v - lo) / (hi - lo)) * (range[1] - range[0]),
    format: format ?? ((v) => v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })),
  };
}

/** Log10 scale widened to whole decades; ticks at 1, 2, 5 × 10^k when the domain spans few decades. */
export function logScale(min: number, max: number, range: [number, number], format: (v: number) => string = (v) => v.toLocaleString('en-US')): Scale {
  const lo = Math.floor(Math.log10(Math.max(min, Number.MIN_VALUE)));
  let hi = Math.ceil(Math.log10(Math.max(max, min)));
  if (hi === lo) hi = lo + 1;
  const ticks: number[] = [];
  for (let k = lo; k <= hi; k++) for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) if (k + Math.log10(m) <= hi) ticks.push(m * 10 ** k);
  return {
    domain: [10 ** lo, 10 ** hi],
    ticks,
    map: (v) => range[0] + ((Math.log10(v) - lo) / (hi - lo)) * (range[1] - range[0]),
    format,
  };
}

export interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title>${body.join('')}</svg>`
  );
}

export function line(x1: number, y1: number, x2: number, y2: number, className: string): string {
  return `<line class="${className}" x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}"/>`;
}

export function text(x: number, y: number, content: string, options: { anchor?: 'start' | 'middle' | 'end'; className?: string; rotate?: number } = {}): string {
  const rotate = options.rotate ? ` transform="rotate(${options.rotate} ${px(x)} ${px(y)})"` : '';
  return `<text class="${options.className ?? 'label'}" x="${px(x)}" y="${px(y)}" text-anchor="${options.anchor ?? 'start'}"${rotate}>${escapeXml(content)}</text>`;
}

/** A rectangle with a hover tooltip. */
export function bar(x: number, y: number, width: number, height: number, color: string, tooltip: string): string {
  return `<rect x="${px(x)}" y="${px(y)}" width="${px(width)}" height="${px(Math.max(0, height))}" fill="${color}"><title>${escapeXml(tooltip)}</title></rect>`;
}

export function point(x: number, y: number, radius: number, color: string, tooltip: string): string {
  return `<circle cx="${px(x)}" cy="${px(y)}" r="${px(radius)}" fill="${color}"><title>${escapeXml(tooltip)}</title></circle>`;
}

/** A vertical error bar from `yLow` to `yHigh` (pixels) with caps. */
export function errorBar(x: number, yLow: number, yHigh: number, cap = 4): string {
  return line(x, yLow, x, yHigh, 'whisker') + line(x - cap, yLow, x + cap, yLow, 'whisker') + line(x - cap, yHigh, x + cap, yHigh, 'whisker');
}

/** x axis along the bottom of `box`, with ticks, vertical grid lines and a title. */
export function xAxis(scale: Scale, box: Box, title: string): string {
  const parts = [line(box.left, box.bottom, box.right, box.bottom, 'axis')];
  for (const t of scale.ticks) {
    const x = scale.map(t);
    parts.push(line(x, box.top, x, box.bottom, 'grid'), line(x, box.bottom, x, box.bottom + 5, 'axis'), text(x, box.bottom + 18, scale.format(t), { anchor: 'middle', className: 'tick' }));
  }
  parts.push(text((box.left + box.right) / 2, box.bottom + 38, title, { anchor: 'middle', className: 'axis-title' }));
  return parts.join('');
}

/** y axis along the left of `box`, with ticks, horizontal grid lines and a rotated title. */
export function yAxis(scale: Scale, box: Box, title: string, titleOffset = 52): string {
  const parts = [line(box.left, box.top, box.left, box.bottom, 'axis')];
  for (const t of scale.ticks) {
    const y = scale.map(t);
    parts.push(line(box.left, y, box.right, y, 'grid'), line(box.left - 5, y, box.left, y, 'axis'), text(box.left - 8, y + 4, scale.format(t), { anchor: 'end', className: 'tick' }));
  }
  const middle = (box.top + box.bottom) / 2;
  parts.push(text(box.left - titleOffset, middle, title, { anchor: 'middle', className: 'axis-title', rotate: -90 }));
  return parts.join('');
}

/** Colour swatches with names, one row from (x, y). Returns the markup. */
export function legend(items: { label: string; color: string }[], x: number, y: number): string {
  let cursor = x;
  return items
    .map((item) => {
      const markup = `<rect x="${px(cursor)}" y="${px(y - 9)}" width="10" height="10" fill="${item.color}"/>` + text(cursor + 14, y, item.label, { className: 'tick' });
      cursor += 24 + 7 * item.label.length;
      return markup;
    })
    .join('');
}

/** Distinct colours that stay apart for colour-blind readers (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const colorAt = (i: number) => PALETTE[i % PALETTE.length];
