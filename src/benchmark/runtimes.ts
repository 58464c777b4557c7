// Which runtimes a benchmark runs: named ones must all run here (an unavailable one is a one-line error,
// never a silent substitute); `all` runs every available one and lists the others with their reason;
// the default is every available runtime except those that start another program (the browser runtime
// launches Chromium: seconds per model), which `all` or naming them includes.
import { RUNTIME_REGISTRY, runtimeByName } from '../infer/open.js';
import type { Runtime } from '../infer/runtime.js';
import { UsageError } from '../util/errors.js';

/** Runtimes left out of the default selection because they take seconds to start. */
import { SLOW_TO_START } from '../infer/runtime-names.js';

/** A runtime a benchmark did not run, and why. */
export interface SkippedRuntime {
  /** The runtime's name. */
  name: string;
  /** Why, in one line (what is missing here, or slow to start and not named). */
  reason: string;
}

/** The runtimes a benchmark runs, and those it leaves out with why. */
export interface RuntimeSelection {
  /** The runtimes to run, in registry order (or as named). */
  runtimes: Runtime[];
  /** The runtimes left out. */
  skipped: SkippedRuntime[];
}

/** `spec`: undefined (default), 'all', or a comma-separated list of runtime names. */
export async function selectRuntimes(spec: string | undefined): Promise<RuntimeSelection> {
  if (spec !== undefined && spec.trim() !== 'all') return namedRuntimes(spec);
  const runtimes: Runtime[] = [];
  const skipped: SkippedRuntime[] = [];
  for (const runtime of Object.values(RUNTIME_REGISTRY)) {
    const reason = await runtime.unavailableReason();
    if (reason) skipped.push({ name: runtime.name, reason });
    else if (spec === undefined && SLOW_TO_START.has(runtime.name)) skipped.push({ name: runtime.name, reason: 'not run by default (slow to start): name it or use --runtime all' });
    else runtimes.push(runtime);
  }
  return { runtimes, skipped };
}

async function namedRuntimes(spec: string): Promise<RuntimeSelection> {
  const names = [...new Set(spec.split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.length === 0) throw new UsageError('--runtime needs at least one runtime name, or all');
  const runtimes = names.map(runtimeByName);
  for (const runtime of runtimes) {
    const reason = await runtime.unavailableReason();
    if (reason) throw new UsageError(`runtime '${runtime.name}' is not available here: ${reason}`);
  }
  return { runtimes, skipped: [] };
}
