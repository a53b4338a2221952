// The SQLite side of the writer thread (storage/write-engine.ts): the only read-write connection to the file,
// opened with the write settings, migrated and its cursors repaired; each group in one BEGIN IMMEDIATE
// transaction; the WAL checkpointed off the commit path when no checkpointer thread does it.

import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { osThreadId } from '../../common/os-thread-id.ts';
import { DatabaseOpenError, isLockError, isRowLevelError, sqliteCodeOf } from '../../errors.ts';
import type {
  ConnectionDescription,
  SerializedWriteError,
  SqliteWriterFigures,
  WriterOpenInfo,
} from '../../protocol/messages.ts';
import type { WriterSettings } from '../../protocol/writer-settings.ts';
import { latestAcceptedTime } from '../../trades/trade-validation.ts';
import { logRepairedCursors, repairCursors } from '../cursor-repair.ts';
import type { GroupEntry, WriteEngine, WriteFailure } from '../write-engine.ts';
import { applyWriteConnectionSettings, describeConnection } from './connection-settings.ts';
import { sqliteCursorStore } from './cursor-repair.ts';
import { writeGroupRecords } from './group-records.ts';
import { migrate, userVersion } from './schema-migrations.ts';
import { sqliteVersion } from './sqlite-version.ts';
import { storedTimestamp, WriteStatements } from './trade-statements.ts';
import { WalCheckpoints } from './wal-checkpoints.ts';

const BUSY_WAIT_THRESHOLD_MS = 2;

export type SqliteEngineSettings = Pick<
  WriterSettings,
  'sortGroupById' | 'pragmas' | 'slowdownFactor' | 'checkpointIntervalMs' | 'maxClockSkewMs'
>;

export class SqliteWriteEngine implements WriteEngine {
  readonly maxGroupBatches = Number.POSITIVE_INFINITY;
  readonly retryBackoff = { baseMs: 25, maxMs: 1000 };
  private readonly statements: WriteStatements;
  private readonly wal: WalCheckpoints;
  private readonly own = { busyWaits: 0, lockWaitMs: 0, checkpoints: 0, walPages: 0 };
  private connection: ConnectionDescription | undefined;

  constructor(
    readonly db: Database.Database,
    private readonly settings: SqliteEngineSettings,
    log: Logger,
    readonly info: WriterOpenInfo,
  ) {
    this.statements = new WriteStatements(db);
    this.wal = new WalCheckpoints(db, settings, this.own, log);
  }

  writeGroup(entries: GroupEntry[]): void {
    const db = this.db;
    const now = storedTimestamp();
    const t0 = performance.now();
    db.exec('BEGIN IMMEDIATE');
    const waited = performance.now() - t0;
    if (waited >= BUSY_WAIT_THRESHOLD_MS) {
      this.own.busyWaits++;
      this.own.lockWaitMs += waited;
    }
    try {
      writeGroupRecords(
        this.statements,
        entries,
        now,
        this.settings.sortGroupById,
        latestAcceptedTime(this.settings.maxClockSkewMs),
      );
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  failure(err: unknown): WriteFailure {
    const sqliteCode = sqliteCodeOf(err);
    const error: SerializedWriteError = {
      code: isLockError(err) ? 'DATABASE_LOCKED' : 'WRITE_FAILED',
      ...(sqliteCode ? { sqliteCode } : {}),
      message: err instanceof Error ? err.message : String(err),
    };
    return { kind: isLockError(err) ? 'retry' : isRowLevelError(err) ? 'split' : 'fail', error };
  }

  committed(commitMs: number): void {
    const slowdown = this.settings.slowdownFactor ?? 1;
    if (slowdown > 1) {
      // A fault drill (gecko-collector/testing): blocks this thread as a slow disk would, so senders must wait.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, (slowdown - 1) * commitMs);
    }
    this.wal.markDirty();
    this.wal.checkpointIfOverdue();
  }

  idle(backlog: () => number): void {
    this.wal.scheduleIdleCheckpoint(backlog);
  }

  figures(): SqliteWriterFigures {
    // The pragmas are set once at open: read them back once, not at every metrics snapshot.
    this.connection ??= describeConnection(this.db);
    return { engine: 'sqlite', connection: this.connection, ...this.own };
  }

  /** A checkpointer thread took over the WAL (the main thread starts one once the WAL grows). */
  handOverCheckpoints(): void {
    this.wal.handOver();
  }

  /** PRAGMA max_page_count (a size cap; 0 lifts it): SQLite cannot lower it below the current size. */
  setPageLimit(pages: number): number {
    const target = pages > 0 ? Math.trunc(pages) : 4294967294;
    return this.db.pragma(`max_page_count = ${target}`, { simple: true }) as number;
  }

  async close(): Promise<void> {
    this.wal.close();
    this.db.close();
  }
}

/** An engine on a connection this thread opened and migrated itself (tests and bench/writer-engine.ts). */
export function sqliteEngineOn(db: Database.Database, s: SqliteEngineSettings, log: Logger): SqliteWriteEngine {
  return new SqliteWriteEngine(db, s, log, {
    engine: 'sqlite',
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    userVersion: userVersion(db),
    schemaFlavor: 'numeric-exact',
    sqliteVersion: sqliteVersion(db),
    migrationsApplied: [],
    cursorsRepaired: 0,
    osThreadId: osThreadId(),
  });
}

/** Opens the file as the only writer: settings, migrations, cursors put back where they may be. */
export async function openSqliteWriteEngine(s: WriterSettings, log: Logger): Promise<SqliteWriteEngine> {
  let db: Database.Database;
  try {
    db = new Database(s.path, s.echo ? { verbose: (sql: unknown) => log.debug({ sql }, 'sql') } : {});
  } catch (err) {
    throw new DatabaseOpenError(`cannot open database file ${s.path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const journalMode = applyWriteConnectionSettings(db, s, 'funnel-writer');
    const migrationsApplied = migrate(db);
    const repaired = await repairCursors(sqliteCursorStore(db), latestAcceptedTime(s.maxClockSkewMs));
    logRepairedCursors(log, repaired);
    log.info({ path: s.path, journalMode, migrationsApplied }, 'writer open');
    return new SqliteWriteEngine(db, s, log, {
      engine: 'sqlite',
      journalMode,
      userVersion: userVersion(db),
      schemaFlavor: 'numeric-exact',
      sqliteVersion: sqliteVersion(db),
      migrationsApplied,
      cursorsRepaired: repaired.length,
      osThreadId: osThreadId(),
    });
  } catch (err) {
    db.close();
    throw err;
  }
}
