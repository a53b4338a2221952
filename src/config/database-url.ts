// Parses the SQLAlchemy-style database URL users carry over from the Python collector.

import path from 'node:path';
import { ConfigError } from '../errors.ts';

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
