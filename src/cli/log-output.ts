// Where a command's logs go: through the status line on stderr (so a log line never shares a line with the
// progress), as JSON lines, or made readable with pino-pretty (one line per record; errors as their message,
// with the stack only at debug). Threads' records arrive here too, through the root logger.

import { createRequire } from 'node:module';
import { logger, setLogSink } from '../logging/logger.ts';
import type { LogFormat } from './cli-settings.ts';
import type { StatusLine } from './terminal-status.ts';

export interface CliLogOptions {
  level: string;
  format: LogFormat;
  /** Colours in pretty output (a terminal without NO_COLOR). */
  colors: boolean;
}

type Json = Record<string, unknown>;

/** An error as its type, message and code: the stack is for debugging, not for a terminal. */
function compactErrors(record: Json): Json {
  for (const [key, value] of Object.entries(record)) {
    if (typeof value !== 'object' || value === null || typeof (value as Json).message !== 'string') continue;
    const e = value as Json;
    if (typeof e.stack !== 'string' && typeof e.type !== 'string') continue;
    const type = typeof e.type === 'string' && e.type !== 'Error' ? `${e.type}: ` : '';
    const code = typeof e.code === 'string' ? ` [${e.code}]` : '';
    record[key] = `${type}${e.message as string}${code}`;
  }
  return record;
}

/** Routes the root logger through `status` at `level`; the returned function puts things back as they were. */
export function routeCliLogs(status: StatusLine, options: CliLogOptions): () => void {
  const previousLevel = logger.level;
  logger.level = options.level;
  let write: (line: string) => void;
  if (options.format === 'pretty') {
    // pino-pretty is slow to load: only terminal (pretty) output pays for it.
    const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    const pretty = prettyFactory({
      colorize: options.colors,
      singleLine: true,
      ignore: 'pid,hostname,name,component',
      messageFormat: '{if component}{component}: {end}{msg}',
      translateTime: 'SYS:HH:MM:ss',
    });
    const withStacks = options.level === 'debug' || options.level === 'trace';
    write = (line) => {
      let record: Json;
      try {
        record = JSON.parse(line) as Json;
      } catch {
        status.print(line);
        return;
      }
      status.print(pretty(withStacks ? record : compactErrors(record)));
    };
  } else {
    write = (line) => status.print(line);
  }
  setLogSink(write);
  return () => {
    setLogSink();
    logger.level = previousLevel;
  };
}
