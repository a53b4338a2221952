// The root pino logger. Components take `logger.child({ component, ... })`. Its level comes from GECKO_LOG_LEVEL
// (default info, `silent` under vitest unless set; a bad value is a warning, never an exception at import);
// its lines go to a sink the CLI may replace (pretty output, a progress line to keep clear), stderr by default.
// Threads replace the sink with their log port (see thread-logs.ts).

import { isMainThread } from 'node:worker_threads';
import { type Logger, pino } from 'pino';
import { envLogLevel } from './log-level.ts';

/** Takes one serialized record (a JSON line ending in a newline). */
export type LogSink = (line: string) => void;

const stderr = pino.destination({ fd: 2, sync: true });
const writeStderr: LogSink = (line) => {
  stderr.write(line);
};
let sink: LogSink = writeStderr;

const fromEnv = envLogLevel();

// Logs go to stderr so a command's stdout stays machine-readable (e.g. `--json`).
export const logger: Logger = pino(
  {
    name: 'gecko-collector',
    level: fromEnv.level ?? (process.env.VITEST ? 'silent' : 'info'),
    base: { pid: process.pid },
  },
  { write: (line: string) => sink(line) },
);
// Threads take their level from the main thread, so only the main thread has anything to say about the env.
if (fromEnv.problem && isMainThread) logger.warn(`${fromEnv.problem}; logging at ${logger.level}`);

export type { Logger };

/** Where the root logger's lines go from now on; no argument: back to stderr. */
export function setLogSink(next?: LogSink): void {
  sink = next ?? writeStderr;
}

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}
