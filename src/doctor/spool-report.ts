// The deferred queue as doctor sees it: depth and oldest age of `<db>.spool`, read on a read-only connection
// (never DeferredQueue.open, which creates and writes the file).

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { SPOOL_APPLICATION_ID } from '../spool/spool-file.ts';

export interface SpoolReport {
  path: string;
  /** Batches waiting to be replayed into the database. */
  batches: number;
  /** Records of every kind (trades, pools, cursors...) in them. */
  rows: number;
  /** UTF-8 bytes of their payloads (the file is somewhat larger). */
  bytes: number;
  fileBytes: number;
  /** When the oldest waiting batch was deferred (ISO, UTC); null when the spool is empty. */
  oldestEnqueuedAt: string | null;
  /** Its age when doctor looked; null when the spool is empty. */
  oldestAgeMs: number | null;
  /** The most failed replays of one waiting batch, and the last error of the oldest failing one. */
  maxAttempts: number;
  lastError: string | null;
  /** Set when the file could not be read as a spool (the other figures are then 0). */
  error?: string;
}

interface Totals {
  batches: number;
  rows: number;
  bytes: number;
  oldest: number | null;
  maxAttempts: number | null;
}

function emptyReport(path: string, fileBytes: number, error?: string): SpoolReport {
  return {
    path,
    batches: 0,
    rows: 0,
    bytes: 0,
    fileBytes,
    oldestEnqueuedAt: null,
    oldestAgeMs: null,
    maxAttempts: 0,
    lastError: null,
    ...(error ? { error } : {}),
  };
}

/** Reads the spool at `path`; null when there is no such file (the funnel never ran beside this database). */
export function readSpoolReport(path: string, now: number = Date.now()): SpoolReport | null {
  let fileBytes: number;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) return emptyReport(path, 0, 'not a file');
    fileBytes = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return emptyReport(path, 0, (err as Error).message);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    return emptyReport(path, fileBytes, `cannot open read-only: ${(err as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 2000');
    const appId = db.pragma('application_id', { simple: true }) as number;
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    const foreign = tables.filter((t) => t !== 'deferred_batches' && t !== 'sqlite_sequence');
    if (foreign.length > 0 || (appId !== SPOOL_APPLICATION_ID && appId !== 0)) {
      return emptyReport(
        path,
        fileBytes,
        `not a deferred-queue spool (application_id ${appId}, tables: ${tables.join(', ') || 'none'})`,
      );
    }
    // A spool file created but not yet set up has no table: nothing waits in it.
    if (!tables.includes('deferred_batches')) return emptyReport(path, fileBytes);
    // One read transaction: the figures and the oldest batch belong to the same moment.
    const read = db.transaction(() => {
      const t = db
        .prepare(
          'SELECT COUNT(*) AS batches, COALESCE(SUM(rows), 0) AS rows, COALESCE(SUM(length(CAST(payload AS BLOB))), 0) AS bytes, ' +
            'MIN(enqueued_at) AS oldest, MAX(attempts) AS maxAttempts FROM deferred_batches',
        )
        .get() as Totals;
      const failing = db
        .prepare(
          'SELECT last_error AS lastError FROM deferred_batches WHERE last_error IS NOT NULL ORDER BY seq LIMIT 1',
        )
        .get() as { lastError: string } | undefined;
      return { t, lastError: failing?.lastError ?? null };
    });
    const { t, lastError } = read();
    return {
      path,
      batches: t.batches,
      rows: t.rows,
      bytes: t.bytes,
      fileBytes,
      oldestEnqueuedAt: t.oldest === null ? null : new Date(t.oldest).toISOString(),
      oldestAgeMs: t.oldest === null ? null : Math.max(0, now - t.oldest),
      maxAttempts: t.maxAttempts ?? 0,
      lastError,
    };
  } catch (err) {
    return emptyReport(path, fileBytes, `cannot read: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}
