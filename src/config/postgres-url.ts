// Reads a PostgreSQL database URL (`postgresql://user[:password]@host[:port]/db[?schema=name]`): what the
// writer and readers connect with, a masked form for logs, and the local base path the spool is named after.

import path from 'node:path';
import { ConfigError } from '../errors.ts';

export interface PostgresUrl {
  /** The URL as libpq reads it: our own `schema` parameter removed. */
  connectionString: string;
  /** The URL with the password masked. */
  display: string;
  host: string;
  port: number;
  database: string;
  user: string;
  schema: string | null;
}

const SCHEMES = ['postgresql:', 'postgres:'];
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** True for `postgresql://…` and `postgres://…`. */
export function isPostgresUrl(url: unknown): boolean {
  return typeof url === 'string' && /^postgres(?:ql)?:\/\//i.test(url);
}

/** Parses and checks a PostgreSQL URL; a ConfigError names what is wrong (never the password). */
export function parsePostgresUrl(url: string, field = 'url'): PostgresUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(field, maskPassword(url), 'not a valid URL');
  }
  if (!SCHEMES.includes(u.protocol.toLowerCase()))
    throw new ConfigError(field, maskPassword(url), 'expected postgresql://user@host:port/database');
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/'))
    throw new ConfigError(field, maskPassword(url), 'the URL names no database (postgresql://user@host/database)');
  const schema = u.searchParams.get('schema');
  if (schema !== null && !IDENTIFIER.test(schema))
    throw new ConfigError(field, maskPassword(url), 'schema must be a plain identifier (letters, digits, _)');
  u.searchParams.delete('schema');
  const connectionString = u.toString();
  return {
    connectionString,
    display: maskPassword(url),
    host: u.hostname === '' ? 'localhost' : u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 5432 : Number(u.port),
    database,
    user: decodeURIComponent(u.username),
    schema,
  };
}

/** The URL with its password (if any) replaced by `***`. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/**
 * Where a run on this database keeps its local files (spool, metrics) when not told: `dir` (the state
 * directory), `pg-<host>-<port>-<database>[-<schema>]`, so two databases never share a spool.
 */
export function localBasePath(pgUrl: PostgresUrl, dir: string): string {
  const parts = [pgUrl.host, String(pgUrl.port), pgUrl.database, ...(pgUrl.schema ? [pgUrl.schema] : [])];
  const name = `pg-${parts.map((p) => p.replace(/[^A-Za-z0-9._-]/g, '_')).join('-')}`;
  return path.resolve(dir, name);
}
