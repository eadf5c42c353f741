/**
 * The `tinytrain` command line (bin/tinytrain.mjs loads this file through tsx). Subcommands live in one
 * table; add one by adding a row. Every mistake ends as exactly one line on stderr and the exit code of its
 * kind (command.ts EXIT): 1 a file could not be read or written / is not valid / the run failed, 2 bad command
 * line, 3 does not fit. An unexpected exception is reported the same way (exit 1); TINYTRAIN_DEBUG=1 adds its
 * stack trace.
 */
import { ModelFileError } from '../compiler/model-file';
import { ModelError } from '../compiler/models/model';
import { SchemeError } from '../compiler/scheme/scheme';
import { CliError, EXIT, EXIT_CODES_HELP, oneLine, quote, type CliIo, type Subcommand } from './command';
import { fsReason } from './files';
import { exportCommand } from './export';
import { firmwareCommand } from './firmware';
import { planCommand } from './plan';
import { planTableCommand } from './plan-table';
import { quantizeCommand } from './quantize';
import { searchCommand } from './search';
import { trainCommand } from './train';

export const SUBCOMMANDS: Record<string, Subcommand> = {
  plan: planCommand,
  'plan-table': planTableCommand,
  train: trainCommand,
  firmware: firmwareCommand,
  search: searchCommand,
  export: exportCommand,
  quantize: quantizeCommand,
};

export function help(): string {
  const rows = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: tinytrain <command> [options]',
    '',
    'commands:',
    ...rows,
    '',
    'tinytrain <command> --help shows its options',
    '',
    EXIT_CODES_HELP,
  ].join('\n');
}

const defaultIo: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

/** The exit code and message of anything a subcommand threw. */
function classify(e: unknown): { code: number; message: string; usage: boolean } {
  if (e instanceof CliError) return { code: e.exitCode, message: e.message, usage: e.exitCode === EXIT.usage };
  // the compiler's own errors: a scheme or model that does not go with the other arguments is a usage mistake
  if (e instanceof SchemeError || e instanceof ModelError) return { code: EXIT.usage, message: e.message, usage: true };
  if (e instanceof ModelFileError) return { code: EXIT.failure, message: e.message, usage: false };
  const errno = e as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string' && typeof errno.path === 'string')
    return { code: EXIT.failure, message: `cannot access ${quote(errno.path)}: ${fsReason(e)}`, usage: false };
  const message = e instanceof Error ? e.message : String(e);
  return { code: EXIT.failure, message: `internal error: ${message}`, usage: false };
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err('tinytrain: no command given (tinytrain --help lists them)');
    return EXIT.usage;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    io.out(help());
    return EXIT.ok;
  }
  if (!Object.hasOwn(SUBCOMMANDS, name)) {
    io.err(oneLine(`tinytrain: unknown command ${quote(name)}; commands: ${Object.keys(SUBCOMMANDS).join(', ')}`));
    return EXIT.usage;
  }
  const cmd = SUBCOMMANDS[name];
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    const { code, message, usage } = classify(e);
    const hint = usage ? ` (tinytrain ${name} --help shows the options)` : '';
    io.err(oneLine(`tinytrain ${name}: ${oneLine(message, 300)}${hint}`));
    if (process.env.TINYTRAIN_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return code;
  }
}
