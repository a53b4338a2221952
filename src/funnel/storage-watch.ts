// Watches the storage under a run and decides when it has failed for good: the database file deleted or
// replaced under the writer (SQLite goes on writing the unlinked file, so every later "stored" would be a
// lie), or the spool unable to keep what the database cannot take (a full disk holds both). Then it says so in
// one line, once, and the manager stops writing and deferring. A database that only refuses writes for now
// (read-only, full, locked) is not fatal while the spool keeps the batches: that is said once per cause too.

import fs from 'node:fs';
import type { Logger } from 'pino';
import { isLockError } from '../errors.ts';
import type { SerializedWriteError } from '../protocol/messages.ts';

/** Why the run's storage failed for good. */
export interface StorageFailure {
  kind: 'database-gone' | 'spool-failed';
  /** The one line said about it. */
  message: string;
}

/** How often the database file is checked for being deleted or replaced. */
const CHECK_INTERVAL_MS = 1000;

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

export class StorageWatch {
  private identity: { dev: number; ino: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((f: StorageFailure) => void)[] = [];
  private readonly writeCauses = new Set<string>();
  failure: StorageFailure | undefined;

  constructor(
    /** The SQLite database file; undefined on PostgreSQL (a server, not a file). */
    private readonly databasePath: string | undefined,
    private readonly spoolPath: string,
    private readonly log: Logger,
  ) {}

  /** Remembers which file the writer holds and checks every second that the path still names it. */
  start(): void {
    if (!this.databasePath) return;
    try {
      const st = fs.statSync(this.databasePath);
      this.identity = { dev: st.dev, ino: st.ino };
    } catch {
      return;
    }
    this.timer = setInterval(() => this.checkDatabaseFile(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onFailure(listener: (f: StorageFailure) => void): void {
    this.listeners.push(listener);
  }

  /** Checks the database file now (also run every second). */
  checkDatabaseFile(): void {
    if (!this.databasePath || !this.identity || this.failure) return;
    let what: string | undefined;
    try {
      const st = fs.statSync(this.databasePath);
      if (st.dev !== this.identity.dev || st.ino !== this.identity.ino) what = 'was replaced by another file';
    } catch (err) {
      what = errnoOf(err) === 'ENOENT' ? 'was deleted (or its directory was)' : `cannot be checked (${errnoOf(err)})`;
    }
    if (what)
      this.fail({
        kind: 'database-gone',
        message: `storage failed: the database file ${this.databasePath} ${what} while this run wrote it; what it stored there is gone with it. Polling stopped; nothing more is written or spooled.`,
      });
  }

  /** The spool could not take a batch: with the database refusing it too, nothing fetched can be kept. */
  noteSpoolFailure(err: unknown): void {
    const code = (err as { sqliteCode?: string }).sqliteCode;
    const full = code === 'SQLITE_FULL' || (err as Error).message?.includes('disk is full');
    this.fail({
      kind: 'spool-failed',
      message: full
        ? `storage failed: the disk is full: neither the database nor its spool ${this.spoolPath} can take fetched trades (${code ?? 'disk full'}). Polling stopped.`
        : `storage failed: the spool ${this.spoolPath} cannot keep what the database cannot take: ${(err as Error).message}. Polling stopped.`,
    });
  }

  /** A group commit failed: said once per cause (a lock is the breaker's business, not a storage fault). */
  noteWriteFailure(error: SerializedWriteError | undefined): void {
    if (!error || error.code === 'DATABASE_LOCKED' || (error.sqliteCode && isLockError({ code: error.sqliteCode })))
      return;
    const cause = error.sqliteCode ?? error.pgCode ?? error.code;
    if (this.writeCauses.has(cause)) return;
    this.writeCauses.add(cause);
    this.log.warn(
      { cause, err: error.message },
      `cannot write ${this.databasePath ?? 'the database'} (${cause}: ${error.message}): fetched trades go to the spool ${this.spoolPath} until it can be written again`,
    );
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  private fail(f: StorageFailure): void {
    if (this.failure) return;
    this.failure = f;
    clearInterval(this.timer);
    this.log.error({ kind: f.kind }, f.message);
    for (const l of this.listeners) l(f);
  }
}
