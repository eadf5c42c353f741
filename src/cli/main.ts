/**
 * The `tinytrain` command line (bin/tinytrain.mjs loads this file through tsx). Subcommands live in one
 * table; add `train` or `firmware` by adding a row. Exit codes: 0 ok, 1 error (bad scheme, bad model file,
 * ...), 2 bad usage.
 */
import { ModelFileError } from '../compiler/model-file';
import { ModelError } from '../compiler/models/model';
import { SchemeError } from '../compiler/scheme/scheme';
import { UsageError, type CliIo, type Subcommand } from './command';
import { planCommand } from './plan';
import { planTableCommand } from './plan-table';
import { trainCommand } from './train';
import { firmwareCommand } from './firmware';

export const SUBCOMMANDS: Record<string, Subcommand> = {
  plan: planCommand,
  'plan-table': planTableCommand,
  train: trainCommand,
  firmware: firmwareCommand,
};

function help(): string {
  const rows = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['usage: tinytrain <command> [options]', '', 'commands:', ...rows, '', 'tinytrain <command> --help shows its options'].join('\n');
}

const defaultIo: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(help());
    return name ? 0 : 2;
  }
  const cmd = SUBCOMMANDS[name];
  if (!cmd) {
    io.err(`tinytrain: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tinytrain ${name}: ${e.message}\n\n${cmd.usage}`);
      return 2;
    }
    if (e instanceof SchemeError || e instanceof ModelError || e instanceof ModelFileError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`tinytrain ${name}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}
