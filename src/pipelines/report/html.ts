// report.html: one self-contained page (inline CSS, inline SVG, no script, nothing fetched) with the
// tables and plots, readable offline. Every string from the report is escaped.
import type { CompareReport } from './types.js';
import { methodNotes } from './markdown.js';
import { latencyPlot, returnHistograms, rewardVsSizePlot } from './plots.js';
import { escapeXml } from './svg.js';
import { reportLatencyTable, summaryTable, type Table } from './tables.js';

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
div.wide { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
th { background: #f4f4f4; }
.note, p.note { color: #555; font-size: 0.9em; }
figure { margin: 1rem 0; } .plots { display: flex; flex-wrap: wrap; gap: 0.5rem; }
code { background: #f4f4f4; padding: 0 0.25rem; }
svg { max-width: 100%; height: auto; background: #fff; }
svg text { font-family: system-ui, sans-serif; fill: #222; }
svg .tick { font-size: 11px; fill: #444; } svg .axis-title { font-size: 12px; } svg .plot-title { font-size: 14px; font-weight: 600; }
svg .plot-title.small { font-size: 12px; } svg .note { font-size: 10.5px; fill: #555; } svg .point-label { font-size: 12px; }
svg .axis { stroke: #333; stroke-width: 1; } svg .grid { stroke: #e5e5e5; stroke-width: 1; }
svg .whisker { stroke: #222; stroke-width: 1.3; } svg .baseline { stroke: #999; stroke-dasharray: 5 4; }
svg .mean-line { stroke: #222; stroke-dasharray: 3 3; }
`;

export function htmlTable({ headers, rows }: Table): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="wide"><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

const paragraph = (s: string, className = '') => `<p${className ? ` class="${className}"` : ''}>${escapeXml(s)}</p>`;

export function renderHtml(report: CompareReport): string {
  const notes = methodNotes(report);
  const title = `qdistill compare: ${report.env}`;
  const notRun = [
    ...report.latency.skipped.map((s) => `<li><code>${escapeXml(s.name)}</code>: ${escapeXml(s.reason)}</li>`),
    ...report.latency.unsupported.map((u) => `<li><code>${escapeXml(u.runtime)}</code> on ${escapeXml(u.file)}: ${escapeXml(u.reason)}</li>`),
  ];
  const skipped = notRun.length
    ? `<p class="note">Runtimes not run:</p><ul class="note">${notRun.join('')}</ul>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p>Teacher <code>${escapeXml(report.models[0].file)}</code> and ${report.models.length - 1} student(s).</p>
${paragraph(notes.reward, 'note')}
<h2>Summary</h2>
${htmlTable(summaryTable(report))}
<figure>${rewardVsSizePlot(report)}</figure>
<h2>Latency per runtime</h2>
${paragraph(notes.latency, 'note')}
${paragraph(notes.memory, 'note')}
${htmlTable(reportLatencyTable(report))}
${skipped}
<figure>${latencyPlot(report)}</figure>
<h2>Returns per episode</h2>
<div class="plots">${returnHistograms(report).map((svg) => `<figure>${svg}</figure>`).join('\n')}</div>
<h2>Provenance</h2>
<ul class="note">
<li>command: <code>${escapeXml(report.command)}</code></li>
<li>tool: ${escapeXml(`${report.tool} ${report.version}`)}</li>
<li>machine: ${escapeXml(report.machine)}</li>
<li>created: ${escapeXml(report.createdAt)}</li>
</ul>
</body>
</html>
`;
}
