// Progress is reported through a callback the caller passes: stages and pipelines say what they have done,
// and only the CLI draws bars (src/cli/progress.ts). A library caller may pass its own or none.

/** One update of a long task: `done` of `total` units of `task` (the same task name until it ends). */
export interface ProgressEvent {
  /** What is being done, e.g. 'train', 'distill', 'bench'. */
  task: string;
  /** Units done so far. */
  done: number;
  /** Units in all. */
  total: number;
  /** Figures to show beside the bar, e.g. { loss: '0.012', agreement: '97.1%' }. */
  fields?: Record<string, string | number>;
}

/** Receives progress updates; called often, so it must be cheap. */
export type OnProgress = (event: ProgressEvent) => void;

/** Lines a stage would tell a person (the chosen backend, what it is doing next). */
export type OnLog = (line: string) => void;

/** `onEpisode`-style counter for one task, forwarding to `onProgress` when there is one. */
export function progressOf(onProgress: OnProgress | undefined, task: string, total: number): (done: number, fields?: ProgressEvent['fields']) => void {
  return onProgress ? (done, fields) => onProgress({ task, done, total, fields }) : () => {};
}
