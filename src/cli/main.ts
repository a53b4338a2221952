// Entry of the `gecko-collector` CLI: dispatches to one module per command and maps errors to exit codes
// (2 for bad flags, settings or environment with a one-line reason, 1 for failures; see exit-codes.ts).
// The library logs nothing by itself: the CLI sets the level GECKO_LOG_LEVEL asks (info by default; collect and
// import then apply their --log-level setting).

import { DEFAULT_WIDTH, fitHelp, outputWidth } from '../common/text-fit.ts';
import { GeckoCollectorError } from '../errors.ts';
import { defaultCliLogLevel, envLogLevel } from '../logging/log-level.ts';
import { UsageError } from './cli-error.ts';
import type { CliIo, Command } from './command.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exitCodeHelp } from './exit-codes.ts';
import { versionLine } from './version.ts';

const COMMANDS: Record<string, () => Promise<Command>> = {
  collect: async () => (await import('./collect-command.ts')).collectCommand,
  import: async () => (await import('./import-command.ts')).importCommand,
  backfill: async () => (await import('./backfill-command.ts')).backfillCommand,
  reconcile: async () => (await import('./reconcile-command.ts')).reconcileCommand,
  export: async () => (await import('./export-command.ts')).exportCommand,
  ohlcv: async () => (await import('./ohlcv-command.ts')).ohlcvCommand,
  doctor: async () => (await import('./doctor-command.ts')).doctorCommand,
  status: async () => (await import('./status-command.ts')).statusCommand,
  config: async () => (await import('./config-command.ts')).configCommand,
  simulate: async () => (await import('./simulate-command.ts')).simulateCommand,
};

async function usage(): Promise<string> {
  const lines = ['usage: gecko-collector <command> [flags]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${(await load()).summary}`);
  lines.push(
    '',
    "Run 'gecko-collector <command> --help' for a command's flags,",
    "'gecko-collector --version' for the version.",
    '',
    exitCodeHelp(),
  );
  return lines.join('\n');
}

/** Help fits the terminal, else 80 columns. */
function helpWidth(io: CliIo): number {
  return outputWidth(io.stdout) ?? DEFAULT_WIDTH;
}

export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${fitHelp(await usage(), helpWidth(io))}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`${await versionLine()}\n`);
    return EXIT_OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(
      `gecko-collector: unknown command ${JSON.stringify(name)} (expected one of ${Object.keys(COMMANDS).join(', ')})\n`,
    );
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${fitHelp((await load()).help, helpWidth(io))}\n`);
    return EXIT_OK;
  }
  const level = envLogLevel();
  if (level.problem) {
    io.stderr.write(`gecko-collector ${name}: ${level.problem}\n`);
    return EXIT_USAGE;
  }
  const command = await load();
  const { logger } = await import('../logging/logger.ts');
  const libraryLevel = logger.level;
  logger.level = level.level ?? defaultCliLogLevel(false);
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`gecko-collector ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (
      err instanceof GeckoCollectorError &&
      (err.code === 'CONFIG_INVALID' ||
        err.code === 'DATABASE_FOREIGN' ||
        err.code === 'DATABASE_READ_ONLY' ||
        err.code === 'NOT_A_REGULAR_FILE')
    ) {
      io.stderr.write(`gecko-collector ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(
      `gecko-collector ${name}: ${err instanceof Error ? `${err.message}${'code' in err ? ` [${String(err.code)}]` : ''}` : String(err)}\n`,
    );
    return EXIT_FAILURE;
  } finally {
    // main() may run inside a host (tests call it in-process): the library is silent again afterwards.
    logger.level = libraryLevel;
  }
}
