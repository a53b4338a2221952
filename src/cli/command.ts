// The shape every CLI command module has, a parseArgs wrapper that turns Node's errors into UsageErrors, the
// flag value checks, and runScript: the same exit-2 handling for the scripts under bench/ and test/.

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EXIT_USAGE, UsageError } from './cli-error.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Command {
  name: string;
  summary: string;
  /** Full --help text. */
  help: string;
  /** Returns the process exit code. Throws UsageError for bad flags/values (exit 2). */
  run(argv: string[], io: CliIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type HelpOption = { help: { type: 'boolean'; short: 'h' } };
/** What parseFlags returns for options O (named, so declaration files can refer to it). */
export type ParsedFlags<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & HelpOption; strict: true; allowPositionals: boolean }>
>;

/**
 * `--duration -1` as `--duration=-1`: parseArgs takes a value that starts with `-` for a flag of its own (and
 * calls the option "ambiguous"); a negative number given to a flag that takes a value then gets the flag's own
 * check, which says what is wrong with it.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * parseArgs's first line, except its "argument is ambiguous" (a flag that takes a value followed by another flag),
 * which says what the user forgot.
 */
function usageMessage(message: string): string {
  const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) return `${ambiguous[1]} needs a value (write ${ambiguous[1]}=VALUE for one that starts with "-")`;
  return message.split('\n')[0]!;
}

/** Strict parse (unknown flags are errors); `positionals` allowed only when asked for. */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false): ParsedFlags<O> {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    throw new UsageError(usageMessage((err as Error).message));
  }
}

/** `from MIN to MAX`, or `>= MIN` when there is no real upper bound. */
function range(min: number, max: number, unbounded: number): string {
  return max === unbounded ? `>= ${min}` : `from ${min} to ${max}`;
}

export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `--${name} must be an integer ${range(min, max, Number.MAX_SAFE_INTEGER)}, got ${JSON.stringify(value)}`,
    );
  return n;
}

export function numberFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_VALUE,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(
      `--${name} must be a number ${range(min, max, Number.MAX_VALUE)}, got ${JSON.stringify(value)}`,
    );
  return n;
}

export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  fallback: T,
  allowed: readonly T[],
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/**
 * Runs a script's `main` (bench/, test/crash/): a UsageError from it (parseFlags, the *Flag helpers) is printed
 * to stderr as `<name>: <reason>` followed by `usage` — or, with no usage, as the one line
 * `<name>: <reason> (see --help)` — and the process exits 2. Any other error is rethrown.
 */
export async function runScript<T>(name: string, usage: string | undefined, main: () => T | Promise<T>): Promise<T> {
  try {
    return await main();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(
      usage === undefined ? `${name}: ${err.message} (see --help)\n` : `${name}: ${err.message}\n${usage}\n`,
    );
    process.exit(EXIT_USAGE);
  }
}
