// report.md: what was compared, the summary table, the latency table, and where the figures came from.
import { formatMicros, memoryNote } from '../../benchmark/index.js';
import type { CompareReport } from './types.js';
import { reportLatencyTable, summaryTable, type Table } from './tables.js';

const cell = (value: string) => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable({ headers, rows }: Table): string {
  return [headers, headers.map(() => '---'), ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** The sentences that say how the figures were made, shared by report.md and report.html. */
export function methodNotes(report: CompareReport): { reward: string; latency: string; memory: string } {
  const latency = report.latency;
  const inEngine = latency.results.find((r) => r.inEngine)?.inEngine;
  return {
    reward:
      `Returns over the same ${report.episodes} greedy episodes for every model (seeds derived from ${report.seed}), played in ${report.rewardRuntime}. ` +
      `"% of teacher" is (return − random) / (teacher − random), where a uniformly random policy on the same seeds returns ${report.randomReward.toFixed(1)}. ` +
      `Agreement: share of ${report.agreementStates} states visited by the teacher (ε = 0.05, seed ${report.agreementSeed}) where the model picks the teacher's action. ` +
      `Decisive: agreement on the states where the teacher's best action leads its runner-up by at least half the teacher's Q scale (the median over these states of max − min Q), so that nearly tied states, where either action is as good, do not count. Regret: the mean of Q_teacher(s, a_teacher) − Q_teacher(s, a_model), as a share of that scale.`,
    latency:
      `Latency: ${latency.singleMeasures}; ${latency.secondsPerMeasurement} s per measurement after a warm-up; ` +
      `timing an await on a resolved promise costs ${formatMicros(latency.timerAndAwaitFloorUs)} µs here. Cold start: file read → session → first result. ` +
      `Throughput: observations per second at each batch size.` +
      (inEngine ? ` In-engine: ${inEngine.measured}.` : ''),
    memory: `Peak memory: ${memoryNote(latency.results)}.`,
  };
}

export function renderMarkdown(report: CompareReport): string {
  const notes = methodNotes(report);
  const skipped = [
    ...report.latency.skipped.map((s) => `- ${s.name}: ${cell(s.reason)}`),
    ...report.latency.unsupported.map((u) => `- ${u.runtime} on ${cell(u.file)}: ${cell(u.reason)}`),
  ].join('\n');
  return [
    `# qdistill compare: ${report.env}`,
    '',
    `Teacher \`${report.models[0].file}\` and ${report.models.length - 1} student(s).`,
    '',
    notes.reward,
    '',
    markdownTable(summaryTable(report)),
    '',
    '## Latency per runtime',
    '',
    notes.latency,
    notes.memory,
    '',
    markdownTable(reportLatencyTable(report)),
    '',
    ...(skipped ? ['Runtimes not run:', '', skipped, ''] : []),
    '## Provenance',
    '',
    `- command: \`${report.command}\``,
    `- tool: ${report.tool} ${report.version}`,
    `- machine: ${report.machine}`,
    `- created: ${report.createdAt}`,
    '',
  ].join('\n');
}
