// The report's tables as headers + rows of strings, rendered as text (CLI), Markdown and HTML alike.
import { latencyTable } from '../../benchmark/index.js';
import type { CompareReport } from './types.js';

export interface Table {
  headers: string[];
  rows: string[][];
}

export const formatReward = (mean: number, std: number) => `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
export const formatShare = (share: number | null) => (share === null ? '-' : `${(100 * share).toFixed(1)}%`);

export function summaryTable(report: CompareReport): Table {
  const teacher = report.models[0];
  return {
    headers: ['model', 'role', 'params', 'of teacher', 'bytes', 'MACs', `return (${report.episodes} ep)`, 'min', 'max', '% of teacher', 'agreement', 'decisive', 'regret'],
    rows: report.models.map((m) => [
      m.label,
      m.role,
      m.parameters.toLocaleString('en-US'),
      m.role === 'teacher' ? '1' : `1/${(teacher.parameters / m.parameters).toFixed(1)}`,
      m.bytes.toLocaleString('en-US'),
      m.macs === null ? '-' : m.macs.toLocaleString('en-US'),
      formatReward(m.reward.mean, m.reward.std),
      m.reward.min.toFixed(1),
      m.reward.max.toFixed(1),
      formatShare(m.ofTeacher),
      formatShare(m.agreement),
      formatShare(m.decisiveAgreement),
      formatShare(m.relativeRegret),
    ]),
  };
}

export function reportLatencyTable(report: CompareReport): Table {
  const labelOf = new Map(report.models.map((m) => [m.file, m.label]));
  return latencyTable(report.latency.results, report.latency.batches, (file) => labelOf.get(file) ?? file);
}
