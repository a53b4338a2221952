// Decides which errors say "the database is unhealthy" (they trip the breaker) and which only say "this
// data is bad" (they must not: a stream of invalid rows would otherwise defer every good batch too).

import { sqliteCodeOf } from '../errors.ts';

/** Returns true when `err` should count as a breaker failure. */
export type ErrorFilter = (err: unknown) => boolean;

/** Library error codes that describe the input, not the database's health. */
export const NON_FAILURE_CODES: ReadonlySet<string> = new Set(['ROW_INVALID', 'CONFIG_INVALID', 'CIRCUIT_OPEN']);

const MAX_CAUSE_DEPTH = 5;

function codeProp(err: unknown, prop: 'code' | 'sqliteCode'): string | undefined {
  if (err && typeof err === 'object' && prop in err) {
    const v = (err as Record<string, unknown>)[prop];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * SQLite's code for `err`, looking through wrappers: our WriteFailedError, a nack's serialized
 * `{ code, sqliteCode }`, and `cause` chains.
 */
export function findSqliteCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && cur != null; depth++) {
    const code = sqliteCodeOf(cur) ?? codeProp(cur, 'sqliteCode');
    if (code?.startsWith('SQLITE_')) return code;
    cur = typeof cur === 'object' ? (cur as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

/** Constraint violations and type mismatches: the row is wrong, the database is fine. */
export function isDataSqliteCode(code: string): boolean {
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH';
}

/**
 * Default filter. Counts: SQLITE_BUSY/LOCKED (a lock outlived busy_timeout), SQLITE_IOERR*, SQLITE_FULL,
 * SQLITE_READONLY*, SQLITE_CANTOPEN, SQLITE_CORRUPT, any other SQLite code, WRITER_UNAVAILABLE,
 * COMMIT_TIMEOUT and unknown errors (unclassified means unsafe). Ignores: constraint/mismatch errors and
 * the codes in NON_FAILURE_CODES.
 */
export const defaultErrorFilter: ErrorFilter = (err) => {
  const sqlite = findSqliteCode(err);
  if (sqlite) return !isDataSqliteCode(sqlite);
  const code = codeProp(err, 'code');
  if (code && NON_FAILURE_CODES.has(code)) return false;
  return true;
};
