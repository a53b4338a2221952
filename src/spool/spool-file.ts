// The deferred queue's SQLite file: schema, pragmas and the handful of statements the queue runs. The spool
// is a file of its own beside the trade database, so this write connection leaves the trade database's one
// writer alone (docs/architecture.md, "One writer"); open() refuses any file that is not a spool.

import Database from 'better-sqlite3';
import { sqliteCodeOf } from '../errors.ts';
import { DeferredQueueError, type DeferredQueueErrorCode } from './deferred-errors.ts';

/** Marks a file as a gecko-collector spool ('GCSP'), so the trade database is never mistaken for one. */
export const SPOOL_APPLICATION_ID = 0x47435350;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS deferred_batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    enqueued_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    rows INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  )`;

/** Tables SQLite or our schema put into a spool; anything else means the file is something else. */
const SPOOL_TABLES = new Set(['deferred_batches', 'sqlite_sequence']);

export interface SpoolRow {
  json: string;
  rows: number;
}

export interface SpoolEntry {
  seq: number;
  enqueuedAt: number;
  payload: string;
  rows: number;
  attempts: number;
  lastError: string | null;
}

export interface SpoolTotals {
  batches: number;
  rows: number;
  bytes: number;
}

export interface SpoolFileOptions {
  busyTimeoutMs: number;
  /** Caps the file (SQLite's max_page_count) so a runaway spool cannot fill the disk the database needs. */
  maxBytes?: number;
}

function spoolError(code: DeferredQueueErrorCode, what: string, err: unknown): DeferredQueueError {
  const message = err instanceof Error ? err.message : String(err);
  return new DeferredQueueError(code, `${what}: ${message}`, sqliteCodeOf(err), { cause: err });
}

interface EntryRow {
  seq: number;
  enqueued_at: number;
  payload: string;
  rows: number;
  attempts: number;
  last_error: string | null;
}

const toEntry = (r: EntryRow): SpoolEntry => ({
  seq: r.seq,
  enqueuedAt: r.enqueued_at,
  payload: r.payload,
  rows: r.rows,
  attempts: r.attempts,
  lastError: r.last_error,
});

export class SpoolFile {
  private readonly insert: Database.Statement<[number, string, number]>;
  private readonly selectAfter: Database.Statement<[number, number]>;
  private readonly deleteOne: Database.Statement<[number]>;
  private readonly noteFailure: Database.Statement<[string, number]>;
  private readonly selectOldest: Database.Statement<[]>;
  private readonly insertMany: (rows: readonly SpoolRow[], at: number) => number[];
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    this.insert = db.prepare('INSERT INTO deferred_batches (enqueued_at, payload, rows) VALUES (?, ?, ?)');
    this.selectAfter = db.prepare('SELECT * FROM deferred_batches WHERE seq > ? ORDER BY seq LIMIT ?');
    this.deleteOne = db.prepare('DELETE FROM deferred_batches WHERE seq = ?');
    this.noteFailure = db.prepare('UPDATE deferred_batches SET attempts = attempts + 1, last_error = ? WHERE seq = ?');
    this.selectOldest = db.prepare('SELECT enqueued_at FROM deferred_batches ORDER BY seq LIMIT 1').pluck();
    const tx = db.transaction((rows: readonly SpoolRow[], at: number) =>
      rows.map((r) => Number(this.insert.run(at, r.json, r.rows).lastInsertRowid)),
    );
    this.insertMany = (rows, at) => tx.immediate(rows, at);
  }

  static open(path: string, options: SpoolFileOptions): SpoolFile {
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (err) {
      throw spoolError('SPOOL_OPEN_FAILED', `cannot open spool file ${path}`, err);
    }
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
      // Look before writing anything: pointed at the trade database by mistake, we must leave it untouched.
      const appId = db.pragma('application_id', { simple: true }) as number;
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      const foreign = tables.filter((t) => !SPOOL_TABLES.has(t));
      if (appId !== SPOOL_APPLICATION_ID && (appId !== 0 || foreign.length > 0)) {
        throw new DeferredQueueError(
          'SPOOL_OPEN_FAILED',
          `${path} is not a deferred-queue spool (application_id ${appId}, tables: ${tables.join(', ') || 'none'}); ` +
            'refusing to write to it',
        );
      }
      if (tables.length === 0) {
        // Only possible before the first table exists: lets a drained spool hand its pages back to the disk.
        db.pragma('auto_vacuum = INCREMENTAL');
      }
      db.pragma('journal_mode = WAL');
      // FULL: the caller counts a deferred batch as acked, so the commit must survive power loss, not just a crash.
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      db.pragma(`application_id = ${SPOOL_APPLICATION_ID}`);
      if (options.maxBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
      }
      return new SpoolFile(path, db);
    } catch (err) {
      db.close();
      if (err instanceof DeferredQueueError) throw err;
      throw spoolError('SPOOL_OPEN_FAILED', `cannot open spool file ${path}`, err);
    }
  }

  /** Commits all rows in one transaction (one fsync) and returns their seqs, in order. All or nothing. */
  append(rows: readonly SpoolRow[], at: number): number[] {
    try {
      return this.insertMany(rows, at);
    } catch (err) {
      throw spoolError('SPOOL_WRITE_FAILED', `cannot write ${rows.length} batch(es) to spool ${this.path}`, err);
    }
  }

  /** Up to `limit` entries with seq > `afterSeq`, oldest first. */
  readAfter(afterSeq: number, limit: number): SpoolEntry[] {
    try {
      return (this.selectAfter.all(afterSeq, limit) as EntryRow[]).map(toEntry);
    } catch (err) {
      throw spoolError('SPOOL_READ_FAILED', `cannot read spool ${this.path}`, err);
    }
  }

  /**
   * Removes a replayed batch. Runs with synchronous=NORMAL: losing this delete to a power cut only replays an
   * already-stored batch once more (harmless, INSERT OR IGNORE), and it saves one fsync per replayed batch.
   * The next FULL commit syncs the WAL, this frame included.
   */
  remove(seq: number): void {
    try {
      this.db.pragma('synchronous = NORMAL');
      try {
        this.deleteOne.run(seq);
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    } catch (err) {
      throw spoolError('SPOOL_WRITE_FAILED', `cannot remove batch ${seq} from spool ${this.path}`, err);
    }
  }

  recordFailure(seq: number, error: string): void {
    try {
      this.noteFailure.run(error, seq);
    } catch (err) {
      throw spoolError(
        'SPOOL_WRITE_FAILED',
        `cannot record a replay failure of batch ${seq} in spool ${this.path}`,
        err,
      );
    }
  }

  oldestEnqueuedAt(): number | null {
    try {
      return (this.selectOldest.get() as number | undefined) ?? null;
    } catch (err) {
      throw spoolError('SPOOL_READ_FAILED', `cannot read spool ${this.path}`, err);
    }
  }

  /** One scan at open; afterwards the queue keeps these numbers itself. */
  totals(): SpoolTotals {
    try {
      const r = this.db
        .prepare(
          'SELECT COUNT(*) AS batches, COALESCE(SUM(rows), 0) AS rows, ' +
            'COALESCE(SUM(length(CAST(payload AS BLOB))), 0) AS bytes FROM deferred_batches',
        )
        .get() as SpoolTotals;
      return { batches: r.batches, rows: r.rows, bytes: r.bytes };
    } catch (err) {
      throw spoolError('SPOOL_READ_FAILED', `cannot read spool ${this.path}`, err);
    }
  }

  /** What SQLite reports for this connection: WAL and FULL, unless something went wrong. */
  settings(): { journalMode: string; synchronous: string } {
    const journalMode = this.db.pragma('journal_mode', { simple: true }) as string;
    const level = this.db.pragma('synchronous', { simple: true }) as number;
    return { journalMode, synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][level] ?? String(level) };
  }

  /** Gives the pages of an empty spool back to the file system; best effort (returns false on failure). */
  compact(): boolean {
    try {
      this.db.pragma('incremental_vacuum');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
