// Where a command's logs go: through the status line on stderr (so a log line never shares a line with the
// progress), as JSON lines, or as one readable line per record (log-line.ts: errors as their message, with the
// stack only at debug). Threads' records arrive here too, through the root logger.

import { logger, setLogSink } from '../logging/logger.ts';
import type { LogFormat } from './common-specs.ts';
import { formatLogLine } from './log-line.ts';
import type { StatusLine } from './terminal-status.ts';

export interface CliLogOptions {
  level: string;
  format: LogFormat;
  /** Colours in pretty output (a terminal without NO_COLOR). */
  colors: boolean;
}

type Json = Record<string, unknown>;

/** Routes the root logger through `status` at `level`; the returned function puts things back as they were. */
export function routeCliLogs(status: StatusLine, options: CliLogOptions): () => void {
  const previousLevel = logger.level;
  logger.level = options.level;
  let write: (line: string) => void;
  if (options.format === 'pretty') {
    const lineOptions = { colors: options.colors, withStacks: options.level === 'debug' || options.level === 'trace' };
    write = (line) => {
      let record: Json;
      try {
        record = JSON.parse(line) as Json;
      } catch {
        status.print(line);
        return;
      }
      status.print(formatLogLine(record, lineOptions));
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
