// The three report files, staged and moved into the output folder together (src/util/output-folder.ts): a
// failed write (a full disk) leaves the previous report whole, and two runs into one folder cannot mix their
// files (the second is refused while the first holds the folder's lock).
import { writeFileAtomic } from '../../util/atomic-write.js';
import { writeOutputFolderSync } from '../../util/output-folder.js';
import type { CompareReport } from './types.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export const REPORT_FILES = ['report.json', 'report.md', 'report.html'] as const;

export function writeReport(dir: string, report: CompareReport): string[] {
  // Rendered before the folder is touched: a rendering bug leaves nothing behind.
  const contents = [JSON.stringify(report, null, 2) + '\n', renderMarkdown(report), renderHtml(report)];
  return writeOutputFolderSync(dir, (staged) => {
    REPORT_FILES.forEach((name, i) => writeFileAtomic(staged.path(name), contents[i]));
    return REPORT_FILES.map((name) => staged.finalPath(name));
  });
}
