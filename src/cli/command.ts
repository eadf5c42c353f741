/**
 * The CLI's subcommand contract. A subcommand parses its own arguments and returns an exit code; it writes
 * through `io` so tests can capture the output. Mistakes are thrown as CliError with the exit code of their
 * kind (EXIT); main prints each as exactly one line on stderr.
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

/** One exit code per kind of mistake, the same in every command (printed by `tinytrain --help`). */
export const EXIT = {
  ok: 0,
  /** a file could not be read or written, a file is not valid, or the run itself failed */
  failure: 1,
  /** bad command line: unknown command or option, bad value, options that do not go together */
  usage: 2,
  /** the firmware does not fit the board (not written; --force writes it anyway); no scheme fits a search budget */
  doesNotFit: 3,
} as const;

export const EXIT_CODES_HELP = `exit codes: 0 ok, 1 a file could not be read or written (or is not valid) or the run failed,
            2 bad command line (unknown option, bad value), 3 the firmware does not fit the board
            (search: no scheme fits the budget)`;

/** A mistake with its exit code; the message is one line (main shortens and escapes it anyway). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad arguments (exit 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

const MAX_QUOTED = 80;

/**
 * A user's input as it goes into a message: quoted, control characters escaped (so the message stays on one
 * line), cut to about 80 characters with its full length said.
 */
export function quote(text: string): string {
  const json = JSON.stringify(text);
  if (text.length <= MAX_QUOTED) return json;
  return `${JSON.stringify(text.slice(0, MAX_QUOTED))}... (${text.length} characters)`;
}

/** Any message as one printable line of at most `max` characters. */
export function oneLine(text: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    c === '\n' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return flat.length <= max ? flat : `${flat.slice(0, max - 3)}...`;
}
