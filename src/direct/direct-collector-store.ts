// The old way's collector store (`--manager direct`, the rollback path): one collector thread's trades and
// cursors go through database connections of its own instead of the writer thread.

import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { CollectorStore } from '../collector/collector-store.ts';
import { backoffDelayMs } from '../common/backoff.ts';
import { type DatabaseConfig, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { ConfigError, DatabaseOpenError, isLockError, sqliteCodeOf, WriteFailedError } from '../errors.ts';
import type { CollectorTask } from '../protocol/collector-task.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { CursorUpdate, GapRecord } from '../protocol/records.ts';
import { applyWriteConnectionSettings } from '../storage/sqlite/connection-settings.ts';
import { storedTimestamp, WriteStatements } from '../storage/sqlite/trade-statements.ts';
import { latestAcceptedTime } from '../trades/trade-validation.ts';
import { DirectDatabaseManager } from './direct-manager.ts';

/**
 * The old way: trades through this collector's own DirectDatabaseManager (check-then-insert, retries on
 * SQLITE_BUSY); cursors and gaps through one more small connection with the same retry habit.
 */
export class DirectCollectorStore implements CollectorStore {
  private constructor(
    readonly trades: DirectDatabaseManager,
    private readonly stateDb: Database.Database,
    private readonly statements: WriteStatements,
  ) {}

  /** `database`: the run's other settings (e.g. pragmas: 'default'), or this connection would differ from the rest. */
  static async open(url: string, database: Partial<Omit<DatabaseConfig, 'url'>> = {}): Promise<DirectCollectorStore> {
    const config: Partial<DatabaseConfig> = { ...database, url };
    const manager = new DirectDatabaseManager(config, { maxRetries: 100, maxDelayMs: 1000 });
    await manager.initialize();
    const settings = writerSettingsFrom(resolveDatabaseConfig(config));
    let db: Database.Database;
    try {
      db = new Database(settings.path, { fileMustExist: true });
    } catch (err) {
      await manager.close();
      throw new DatabaseOpenError(`cannot open database file ${settings.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    applyWriteConnectionSettings(db, settings, 'direct');
    return new DirectCollectorStore(manager, db, new WriteStatements(db));
  }

  async writeState(update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }): Promise<void> {
    const now = storedTimestamp();
    for (let attempt = 0; ; attempt++) {
      try {
        this.stateDb.exec('BEGIN IMMEDIATE');
        try {
          for (const g of update.gaps ?? []) this.statements.insertGap(g);
          const latest = latestAcceptedTime(this.trades.config.maxClockSkewMs);
          for (const c of update.cursors ?? []) this.statements.upsertCursor(c, now, latest);
          this.stateDb.exec('COMMIT');
        } catch (err) {
          if (this.stateDb.inTransaction) this.stateDb.exec('ROLLBACK');
          throw err;
        }
        return;
      } catch (err) {
        if (!isLockError(err) || attempt >= 100)
          throw new WriteFailedError(`cursor/gap write failed: ${(err as Error).message}`, sqliteCodeOf(err), {
            cause: err,
          });
        await sleep(backoffDelayMs(attempt, { baseMs: 5, maxMs: 1000 }));
      }
    }
  }

  async lockMetrics(): Promise<LockContentionMetrics | undefined> {
    return this.trades.getLockContentionMetrics();
  }

  async close(): Promise<void> {
    this.stateDb.close();
    await this.trades.close();
  }
}

/** A direct-mode collector's store: its own connection to the database its task names. */
export async function openDirectStore(task: CollectorTask): Promise<CollectorStore> {
  if (!task.dbUrl) throw new ConfigError('dbUrl', task.dbUrl, 'a direct-mode collector needs the database URL');
  return DirectCollectorStore.open(task.dbUrl, task.database);
}
