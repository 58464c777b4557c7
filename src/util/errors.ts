// Bad input from the user ends a command with one line and exit code 2; anything else is a bug (exit 1).
/** Bad input (a file, a flag, a value): the CLI prints the one-line message and exits 2; `where`, if given, is appended in parentheses. */
export class UsageError extends Error {
  constructor(message: string, readonly where?: string) {
    super(where ? `${message} (${where})` : message);
    this.name = 'UsageError';
  }
}

/** The first line of an error's message (native libraries append stack-like detail on further lines). */
export function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0].trim();
}
