// The root pino logger. Components take `logger.child({ component, ... })`; level from GECKO_LOG_LEVEL
// (default info, `silent` under vitest unless set) so tests stay quiet and library users stay in control.

import { type Logger, pino } from 'pino';

function defaultLevel(): string {
  const env = process.env.GECKO_LOG_LEVEL;
  if (env) return env;
  return process.env.VITEST ? 'silent' : 'info';
}

// Logs go to stderr so a command's stdout stays machine-readable (e.g. `--json`).
export const logger: Logger = pino(
  {
    name: 'gecko-collector',
    level: defaultLevel(),
    base: { pid: process.pid },
  },
  pino.destination({ fd: 2, sync: true }),
);

export type { Logger };

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}
