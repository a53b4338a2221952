// The root pino logger. Components take `logger.child({ component, ... })`. It is silent: a library says
// nothing unless its caller hands it a `logger`; the CLI sets the level it resolved (GECKO_LOG_LEVEL, --log-level)
// and replaces the sink (pretty output, a progress line to keep clear; stderr by default). Threads log at the
// level of the logger their link names and replace the sink with their log port (see thread-logs.ts).

import { type Logger, pino } from 'pino';

/** Takes one serialized record (a JSON line ending in a newline). */
export type LogSink = (line: string) => void;

const stderr = pino.destination({ fd: 2, sync: true });
const writeStderr: LogSink = (line) => {
  stderr.write(line);
};
let sink: LogSink = writeStderr;

// Logs go to stderr so a command's stdout stays machine-readable (e.g. `--json`).
export const logger: Logger = pino(
  { name: 'gecko-collector', level: 'silent', base: { pid: process.pid } },
  { write: (line: string) => sink(line) },
);

export type { Logger };

/** Where the root logger's lines go from now on; no argument: back to stderr. */
export function setLogSink(next?: LogSink): void {
  sink = next ?? writeStderr;
}

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}
