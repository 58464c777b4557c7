import { cpus } from 'node:os';

/** The machine a figure was measured on, for model cards. */
export function machineDescription(): string {
  return `${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}
