// The three report files, each written atomically into the output folder.
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic-write.js';
import type { CompareReport } from './types.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export const REPORT_FILES = ['report.json', 'report.md', 'report.html'] as const;

export function writeReport(dir: string, report: CompareReport): string[] {
  const [json, md, html] = REPORT_FILES.map((name) => join(dir, name));
  writeJsonAtomic(json, report);
  writeFileAtomic(md, renderMarkdown(report));
  writeFileAtomic(html, renderHtml(report));
  return [json, md, html];
}
