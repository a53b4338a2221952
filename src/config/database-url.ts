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

/**
 * What `--db`, GECKO_DB_URL and `database.url` accept, as a database URL: a file path (relative to `cwd`) or a
 * `sqlite:///` URL. One message for every command and source when it is neither.
 */
export function databaseUrlFromInput(value: string, where: string, cwd = process.cwd()): string {
  const text = value.trim();
  const problem = (why?: string) =>
    new SettingError(
      `${where} must be a database file path, a sqlite:/// URL or a postgresql:// URL (gecko_data.db, /var/lib/gecko/gecko_data.db, sqlite:///gecko_data.db, postgresql://user@host/db), got ${JSON.stringify(maskPassword(value))}${why ? `: ${why}` : ''}`,
    );
  if (text === '') throw problem();
  if (text === ':memory:')
    throw problem('an in-memory database cannot be shared between the writer thread and readers');
  if (isPostgresUrl(text)) {
    try {
      parsePostgresUrl(text, where);
    } catch (err) {
      throw problem((err as Error).message.replace(/^invalid .*?: /, ''));
    }
    return text;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    if (!text.startsWith('sqlite:///')) throw problem();
    try {
      return urlFromDatabasePath(databasePathFromUrl(text, cwd, where));
    } catch (err) {
      throw problem((err as Error).message.replace(/^invalid .*?: /, ''));
    }
  }
  return urlFromDatabasePath(path.resolve(cwd, text));
}
