import { DEFAULT_DATABASE_CONFIG } from '../config/database-config.ts';
import { databaseUrlFromInput } from '../config/database-url.ts';
import { SettingError } from '../config/setting-error.ts';
import type { SettingSpec } from '../config/settings.ts';
import { choiceValue, type ValueParser } from '../config/value-parsers.ts';
import { defaultCliLogLevel, type LogLevel, logLevelProblem, parseLogLevel } from '../logging/log-level.ts';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a setting's default may depend on besides other settings. */
export interface SettingContext {
  /** stderr is a terminal: logs default to pretty at warn. */
  tty: boolean;
}

const logLevelValue: ValueParser<LogLevel> = (raw, where) => {
  const level = typeof raw === 'string' ? parseLogLevel(raw) : undefined;
  if (level === undefined) throw new SettingError(logLevelProblem(where, String(raw)));
  return level;
};

export function commonSpecs(ctx: SettingContext): SettingSpec[] {
  return [
    {
      key: 'db',
      env: 'GECKO_DB_URL',
      file: ['database.url'],
      parse: databaseUrlFromInput,
      fallback: () => ({ value: databaseUrlFromInput(DEFAULT_DATABASE_CONFIG.url, 'default') }),
      describe: 'database: a file (path or sqlite:/// URL) or a PostgreSQL server (postgresql://…)',
    },
    {
      key: 'log-level',
      env: 'GECKO_LOG_LEVEL',
      file: ['logging.level'],
      parse: logLevelValue,
      fallback: () => ({ value: defaultCliLogLevel(ctx.tty), note: ctx.tty ? 'on a terminal' : 'not on a terminal' }),
      describe: 'log level: fatal, error, warn, info, debug, trace, silent',
    },
    {
      key: 'log-format',
      env: 'GECKO_LOG_FORMAT',
      file: ['logging.format'],
      parse: choiceValue(LOG_FORMATS),
      fallback: () => ({ value: ctx.tty ? 'pretty' : 'json', note: ctx.tty ? 'on a terminal' : 'not on a terminal' }),
      describe: 'log format: json (one object a line) or pretty (for people)',
    },
  ];
}
