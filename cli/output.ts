/** What every `ssi` command shares: `--json` for machines, readable lines for people, clear failures. */
export interface OutputOptions {
  json?: boolean;
}

export class CliError extends Error {
  constructor(message: string, readonly details?: unknown) {
    super(message);
    this.name = 'CliError';
  }
}

/** Prints a result: the object as JSON with `--json`, otherwise the human lines. */
export function report(options: OutputOptions, result: unknown, lines: () => string[]): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  } else {
    for (const line of lines()) process.stdout.write(`${line}\n`);
  }
}

/** Progress for long work, on stderr so `--json` output stays parseable. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}
