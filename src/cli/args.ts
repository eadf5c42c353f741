/**
 * Strict option parsing shared by every subcommand: numbers are plain decimals (no '' -> 0, no hex, no
 * Infinity, no '1e400'), integers are integers, enums are looked up in a Set of their names (never `in` an
 * object: '--rounding toString' is refused), data-set names come from the files of public/data. Every
 * failure is a UsageError naming the option and quoting (a shortened copy of) the value.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ARCHS, MODEL_NAMES, type ModelName } from '../compiler/models/arch';
import { quote, UsageError } from './command';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs (strict, no positionals) with its errors turned into one-line usage errors. */
export function parseOptions<O extends Options>(args: string[], options: O) {
  for (const a of args) if (a.length > 10_000) throw new UsageError(`argument too long: ${quote(a)}`);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const bad = args.find((a) => a.startsWith('-') && !knownFlag(a, options)) ?? args.find((a) => !a.startsWith('-'));
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${quote(bad ?? '?')}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(`unexpected argument ${quote(bad ?? '?')} (options start with --)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(invalidValue(args, options));
    throw new UsageError(quote((e as Error).message).slice(1, -1));
  }
}

function knownFlag(a: string, options: Options): boolean {
  const name = a.replace(/^--?/, '').split('=')[0];
  return Object.hasOwn(options, name) || Object.values(options).some((o) => o.short === name);
}

/** Which option is missing its value, or was given one it does not take. */
function invalidValue(args: string[], options: Options): string {
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].replace(/^--/, '').split(/=(.*)/s);
    if (!Object.hasOwn(options, flag)) continue;
    if (options[flag].type === 'boolean' && inline !== undefined) return `--${flag} takes no value`;
    if (
      options[flag].type === 'string' &&
      inline === undefined &&
      (i + 1 >= args.length || args[i + 1].startsWith('-'))
    )
      return `--${flag} needs a value (one that starts with - is written --${flag}=-...)`;
  }
  return 'an option is missing its value';
}

/** An integer option in [lo, hi]: decimal digits only, optionally signed. */
export function intOption(name: string, value: string | undefined, fallback: number, lo: number, hi: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d{1,16}$/.test(value) || !Number.isSafeInteger(n) || n < lo || n > hi)
    throw new UsageError(`--${name} must be an integer from ${lo} to ${hi}, got ${quote(value)}`);
  return n;
}

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/;

/** A decimal number option in [lo, hi] (lo excluded when `above`); no hex, no Infinity, no underflow to 0. */
export function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  range: { lo: number; hi: number; above?: boolean },
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const mantissa = value.split(/[eE]/)[0];
  const ok =
    DECIMAL.test(value) &&
    Number.isFinite(n) &&
    !(n === 0 && /[1-9]/.test(mantissa)) &&
    (range.above ? n > range.lo : n >= range.lo) &&
    n <= range.hi;
  if (!ok)
    throw new UsageError(
      `--${name} must be a decimal number ${range.above ? 'above' : 'from'} ${range.lo} ${range.above ? 'and up ' : ''}to ${range.hi}, got ${quote(value)}`,
    );
  return n;
}

/** One of `allowed` (checked with a Set, so inherited property names such as 'toString' are refused). */
export function enumOption<T extends string>(
  name: string,
  value: string | undefined,
  fallback: T,
  allowed: readonly T[],
): T {
  if (value === undefined) return fallback;
  if (!new Set<string>(allowed).has(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got ${quote(value)}`);
  return value as T;
}

export function modelOption(value: string | undefined): ModelName {
  if (value === undefined) throw new UsageError('--model is required');
  return enumOption('model', value, MODEL_NAMES[0], MODEL_NAMES);
}

/** Input height = width: 32..224 (tiny-cnn 8..224); default the model's. */
export function resolutionOption(model: ModelName, value: string | undefined, fallback?: number): number {
  const lo = model === 'tiny-cnn' ? 8 : 32;
  return intOption('resolution', value, fallback ?? ARCHS[model].defaultResolution, lo, 224);
}

export const classesOption = (value: string | undefined, fallback = 10) =>
  intOption('classes', value, fallback, 2, 1000);
export const seedOption = (value: string | undefined) => intOption('seed', value, 1, 0, 2 ** 31 - 1);

/** A scheme is parsed by the compiler (SchemeError); here only its length is bounded. */
export function schemeOption(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (value.length === 0 || value.length > 2000)
    throw new UsageError(`--scheme must be 1 to 2000 characters, got ${quote(value)}`);
  return value;
}

/** Names of the data sets in `dir` (public/data/<name>.json). */
export function datasetNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** A data-set name that is one of the files of `dir` (plus `extra` names such as 'synthetic'). */
export function datasetOption(
  name: string,
  value: string | undefined,
  fallback: string,
  dir: string,
  extra: string[] = [],
): string {
  const names = [...datasetNames(dir), ...extra];
  if (value === undefined) value = fallback;
  if (!new Set(names).has(value))
    throw new UsageError(
      `--${name} must be one of ${names.join(', ') || `(none: ${join(dir)} has no data sets)`}; got ${quote(value)}`,
    );
  return value;
}

/**
 * Class names from `a,b,c`: a comma inside a name is written `\,` and a backslash `\\`. Each name is 1 to 64
 * characters without control characters; there must be exactly `classes` of them.
 */
export function labelsOption(value: string, classes: number): string[] {
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (value[i + 1] === ',' || value[i + 1] === '\\')) cur += value[++i];
    else if (c === ',') (labels.push(cur), (cur = ''));
    else cur += c;
  }
  labels.push(cur);
  for (const l of labels) {
    // eslint-disable-next-line no-control-regex
    if (l.length === 0 || l.length > 64 || /[\u0000-\u001f\u007f]/.test(l))
      throw new UsageError(`--labels: each name must be 1 to 64 printable characters, got ${quote(l)}`);
  }
  if (labels.length !== classes)
    throw new UsageError(
      `--labels has ${labels.length} names for ${classes} classes (write a comma inside a name as \\,)`,
    );
  return labels;
}

/** Free text shown by the firmware (experiment name): 1 to 80 printable characters. */
export function textOption(name: string, value: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (value !== undefined && (value.length === 0 || value.length > 80 || /[\u0000-\u001f\u007f]/.test(value)))
    throw new UsageError(`--${name} must be 1 to 80 printable characters, got ${quote(value)}`);
  return value;
}
