/**
 * The CLI's subcommand contract. A subcommand parses its own arguments and returns an exit code; it writes
 * through `io` so tests can capture the output. UsageError means bad arguments (exit 2, usage printed).
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface Subcommand {
  /** One line for `tinytrain help`. */
  summary: string;
  /** Full usage text (options, examples). */
  usage: string;
  run(args: string[], io: CliIo): Promise<number> | number;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses an integer option in [lo, hi] or throws a UsageError naming the option. */
export function intOption(name: string, value: string | undefined, fallback: number, lo: number, hi: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < lo || n > hi)
    throw new UsageError(`--${name} must be an integer from ${lo} to ${hi}, got "${value}"`);
  return n;
}
