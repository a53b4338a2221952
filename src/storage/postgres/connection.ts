// Opens node-postgres connections the way every part of the collector needs them: UTC session time zone, the
// run's schema on the search_path, server-side timeouts (statement_timeout, lock_timeout: the server cancels
// and the connection stays usable, unlike pg's client-side query_timeout), keep-alive, and always an 'error'
// listener (without one, a server-side disconnect of an idle connection kills the process).

import pg from 'pg';
import { DatabaseOpenError } from '../../errors.ts';
import type { PostgresSettings } from '../../protocol/writer-settings.ts';
import { classifyPgError } from './errors.ts';
import { quoteIdent } from './schema-migrations.ts';

export interface PgConnectOptions {
  /** Shown in pg_stat_activity.application_name: `gecko-collector <purpose>`. */
  purpose: string;
  /** Every transaction of the session is READ ONLY (readers, doctor): no code path but the writer writes. */
  readOnly?: boolean;
  /** lock_timeout (ms; 0 = wait for ever). */
  lockTimeoutMs?: number;
  /** Overrides the settings' statement_timeout (ms). */
  statementTimeoutMs?: number;
  /** idle_in_transaction_session_timeout (ms): a frozen session cannot hold row locks for ever. */
  idleInTransactionTimeoutMs?: number;
  /** Called when the connection fails outside a query (server restart, pg_terminate_backend while idle). */
  onError?: (err: Error) => void;
}

/** The pg.Client configuration for `settings` (also used for pg.Pool). */
export function pgClientConfig(settings: PostgresSettings, options: PgConnectOptions): pg.ClientConfig {
  const startup = ['-c TimeZone=UTC'];
  if (settings.schema) startup.push(`-c search_path=${quoteIdent(settings.schema)}`);
  if (options.readOnly) startup.push('-c default_transaction_read_only=on');
  return {
    connectionString: settings.connectionString,
    application_name: `gecko-collector ${options.purpose}`,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    keepAlive: true,
    statement_timeout: options.statementTimeoutMs ?? settings.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs ?? 0,
    ...(options.idleInTransactionTimeoutMs !== undefined
      ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
      : {}),
    options: startup.join(' '),
  };
}

/** A connected client; rejects with the driver's error (classify it with classifyPgError). */
export async function connectPg(settings: PostgresSettings, options: PgConnectOptions): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(settings, options));
  client.on('error', (err) => options.onError?.(err));
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/** connectPg for callers that cannot go on without the database: the error says where and why, password masked. */
export async function connectPgOrFail(settings: PostgresSettings, options: PgConnectOptions): Promise<pg.Client> {
  try {
    return await connectPg(settings, options);
  } catch (err) {
    throw new DatabaseOpenError(`cannot connect to PostgreSQL at ${settings.display}: ${describePgError(err)}`, {
      cause: err,
    });
  }
}

/** One line for an error from node-postgres: its message, its SQLSTATE or errno, and what kind it is. */
export function describePgError(err: unknown): string {
  const first = err instanceof AggregateError && err.errors.length > 0 ? err.errors[0] : err;
  const message = first instanceof Error ? first.message : String(first);
  const code = first && typeof first === 'object' ? (first as { code?: unknown }).code : undefined;
  return `${message || 'connection failed'}${typeof code === 'string' ? ` [${code}]` : ''} (${classifyPgError(err)})`;
}

/** `PostgreSQL 15.20` and the like, from the server. */
export async function pgServerVersion(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  return `PostgreSQL ${rows[0]?.v ?? '?'}`;
}
