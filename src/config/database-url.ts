// Parses the SQLAlchemy-style database URL users carry over from the Python collector.

import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { isPostgresUrl, maskPassword, parsePostgresUrl } from './postgres-url.ts';
import { SettingError } from './setting-error.ts';

/**
 * `sqlite:///relative.db` → `relative.db` resolved against `cwd`; `sqlite:////abs/path.db` → `/abs/path.db`.
 * Anything else (another scheme, a host, an empty path, `:memory:`) is a ConfigError naming the value.
 */
export function databasePathFromUrl(url: unknown, cwd = process.cwd(), field = 'url'): string {
  if (typeof url !== 'string') throw new ConfigError(field, url, 'expected a string like sqlite:///gecko_data.db');
  const prefix = 'sqlite:///';
  if (!url.startsWith(prefix)) {
    throw new ConfigError(field, url, 'expected sqlite:///relative/path.db or sqlite:////absolute/path.db');
  }
  const rest = url.slice(prefix.length);
  if (rest === '' || rest === '/') throw new ConfigError(field, url, 'the URL names no database file');
  if (rest === ':memory:') {
    throw new ConfigError(field, url, 'an in-memory database cannot be shared between the writer thread and readers');
  }
  if (rest.includes('?'))
    throw new ConfigError(field, url, 'query parameters are not supported; use DatabaseConfig fields');
  return rest.startsWith('/') ? path.normalize(rest) : path.resolve(cwd, rest);
}

/** Inverse of databasePathFromUrl for an absolute path. */
export function urlFromDatabasePath(absPath: string): string {
  return `sqlite:///${path.resolve(absPath)}`;
}

const URL_FORMS =
  'a database file path, a sqlite:/// URL or a postgresql:// URL (gecko_data.db, /var/lib/gecko/gecko_data.db, sqlite:///gecko_data.db, postgresql://user@host/db)';

/**
 * The one reading of a database setting, whoever gives it (`--db`, GECKO_DB_URL, `database.url`, the library's
 * `DatabaseConfig.url` and `dbUrl`): a file path (relative to `cwd`), a `sqlite:///` URL or a `postgresql://` URL,
 * as the canonical URL (`sqlite:////absolute/path.db`, or the PostgreSQL URL as given); or why it is none.
 */
function readDatabaseUrl(value: unknown, cwd: string): { url: string } | { why: string | undefined } {
  if (typeof value !== 'string') return { why: undefined };
  const text = value.trim();
  if (text === '') return { why: undefined };
  if (text === ':memory:')
    return { why: 'an in-memory database cannot be shared between the writer thread and readers' };
  const reason = (err: unknown) => ({ why: (err as Error).message.replace(/^invalid .*?: /, '') });
  if (isPostgresUrl(text)) {
    try {
      parsePostgresUrl(text);
    } catch (err) {
      return reason(err);
    }
    return { url: text };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    if (!text.startsWith('sqlite:///')) return { why: undefined };
    try {
      return { url: urlFromDatabasePath(databasePathFromUrl(text, cwd)) };
    } catch (err) {
      return reason(err);
    }
  }
  return { url: urlFromDatabasePath(path.resolve(cwd, text)) };
}

/** A setting (`where`: `--db`, GECKO_DB_URL, `config.yaml: database.url`) as a database URL; SettingError if none. */
export function databaseUrlFromInput(value: unknown, where: string, cwd = process.cwd()): string {
  const r = readDatabaseUrl(value, cwd);
  if ('url' in r) return r.url;
  const shown = typeof value === 'string' ? maskPassword(value) : value;
  throw new SettingError(`${where} must be ${URL_FORMS}, got ${JSON.stringify(shown)}${r.why ? `: ${r.why}` : ''}`);
}

/** DatabaseConfig's `url` field (the library's) as a database URL; ConfigError naming `field` if none. */
export function normalizeDatabaseUrl(value: unknown, field = 'url', cwd = process.cwd()): string {
  const r = readDatabaseUrl(value, cwd);
  if ('url' in r) return r.url;
  const shown = typeof value === 'string' ? maskPassword(value) : value;
  throw new ConfigError(field, shown, `expected ${URL_FORMS}${r.why ? `: ${r.why}` : ''}`);
}
