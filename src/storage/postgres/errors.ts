// Sorts what node-postgres throws into what the writer does about it, by SQLSTATE first and by the client's
// own connection errors (which carry no SQLSTATE) second.
//   retry      transient: roll back, keep the batches, try the group again after a pause
//   reconnect  the connection is gone or unusable: drop the client, open a new one later
//   bad_row    this row's data: roll back to the batch's savepoint and find the row
//   fatal      configuration, schema or a bug: nack and say so

export type PgErrorClass = 'retry' | 'reconnect' | 'bad_row' | 'fatal';

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

// node-postgres's own errors for a dead or closed connection, and for connectionTimeoutMillis.
const CONNECTION_MESSAGE =
  /Connection terminated|connection error|Client was closed|not queryable|timeout expired|Query read timeout|terminating connection/i;

/** The SQLSTATE of a server error (5 characters), else undefined. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function classifyPgError(err: unknown): PgErrorClass {
  if (!err || typeof err !== 'object') return 'fatal';
  // Node 20 tries every address of a host name (happy eyeballs) and reports them together.
  if (err instanceof AggregateError && err.errors.length > 0) return classifyPgError(err.errors[0]);
  const state = sqlStateOf(err);
  if (state) {
    switch (state) {
      case '40001': // serialization_failure
      case '40P01': // deadlock_detected
      case '55P03': // lock_not_available (lock_timeout)
      case '57014': // query_canceled (statement_timeout, pg_cancel_backend)
        return 'retry';
      case '57P01': // admin_shutdown (fast shutdown, pg_terminate_backend)
      case '57P02': // crash_shutdown
      case '57P03': // cannot_connect_now (starting up, shutting down)
      case '57P05': // idle_session_timeout
      case '25P03': // idle_in_transaction_session_timeout
        return 'reconnect';
      case '08P01': // protocol_violation (a bug, e.g. too many bind parameters)
      case '25P02': // in_failed_sql_transaction (a bug: a statement after an error without a rollback)
      case '3D000': // invalid_catalog_name: no such database
      case '42P01': // undefined_table
        return 'fatal';
    }
    const cls = state.slice(0, 2);
    if (cls === '08') return 'reconnect';
    if (cls === '53' || cls === '58' || cls === 'XX') return 'retry'; // resources (disk full, too many connections), I/O
    if (cls === '22' || cls === '23') return 'bad_row';
    return 'fatal';
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERRNOS.has(code)) return 'reconnect';
  if (CONNECTION_MESSAGE.test(String((err as { message?: unknown }).message ?? ''))) return 'reconnect';
  return 'fatal';
}
