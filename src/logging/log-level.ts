// The log level names pino knows, and GECKO_LOG_LEVEL read without trusting it: a bad value is reported to
// the caller (the CLI refuses it, the library warns and keeps its default), never thrown from an import.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

// Python's logging names too (INFO, WARNING, CRITICAL), as the Python collector's users write them.
const ALIASES: Record<string, LogLevel> = { warning: 'warn', critical: 'fatal' };

/** `value` as a level (case and blanks forgiven, Python's names accepted), or undefined. */
export function parseLogLevel(value: string): LogLevel | undefined {
  const v = value.trim().toLowerCase();
  const level = ALIASES[v] ?? v;
  return isLogLevel(level) ? level : undefined;
}

/**
 * The CLI's level when nothing sets one: warn on a terminal (the progress line is there), info otherwise (a
 * service's journal); silent under vitest, whose in-process CLI runs would otherwise fill the test output.
 */
export function defaultCliLogLevel(tty: boolean): LogLevel {
  if (process.env.VITEST) return 'silent';
  return tty ? 'warn' : 'info';
}

export function logLevelProblem(where: string, value: string): string {
  return `${where} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`;
}

/** GECKO_LOG_LEVEL: its level, nothing when unset or empty, or the problem with it. */
export function envLogLevel(env: NodeJS.ProcessEnv = process.env): { level?: LogLevel; problem?: string } {
  const raw = env.GECKO_LOG_LEVEL;
  if (raw === undefined || raw.trim() === '') return {};
  const level = parseLogLevel(raw);
  return level ? { level } : { problem: logLevelProblem('GECKO_LOG_LEVEL', raw) };
}
