// Where one collector thread's trades and cursors go: through its own port to the writer thread (the funnel),
// or, in `--manager direct` (the old way, kept as the rollback path), through connections of its own.

import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { StoreOptions, StoreResult, TradeStore } from '../batch/trade-store.ts';
import { type DatabaseConfig, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { DirectDatabaseManager } from '../direct/direct-manager.ts';
import { DatabaseOpenError, isLockError, StateError, sqliteCodeOf, WriteFailedError } from '../errors.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { CursorUpdate, GapRecord, TradeRecord } from '../protocol/records.ts';
import type { WriterClient } from '../sender/writer-client.ts';
import { detectSchemaFlavor } from '../sqlite/schema-migrations.ts';
import { applyWriteConnectionSettings } from '../sqlite/sqlite-settings.ts';
import { storedTimestamp, WriteStatements } from '../sqlite/trade-statements.ts';
import type { StateSink } from './pool-poller.ts';

/** Trades and state of one collector, whichever way they are stored. */
export interface CollectorStore extends StateSink {
  trades: TradeStore;
  /** Lock metrics of this collector's own connection (direct mode); undefined in the funnel. */
  lockMetrics(): Promise<LockContentionMetrics | undefined>;
  /** Waits for everything sent to be committed, then closes ports/connections. */
  close(): Promise<void>;
}

/** The funnel: trades and state both go over this collector's data port; acks arrive after commit. */
export class FunnelCollectorStore implements CollectorStore {
  readonly trades: TradeStore;

  constructor(private readonly client: WriterClient) {
    this.trades = {
      storeTrades: async (trades: readonly TradeRecord[], options?: StoreOptions): Promise<StoreResult> => {
        const ack = await client.storeTrades(trades, options);
        return { inserted: ack.inserted, duplicates: ack.duplicates, rejected: ack.rejected };
      },
      getLockContentionMetrics: () =>
        Promise.reject(new StateError('lock metrics of the funnel come from the manager in the main thread')),
      close: () => Promise.resolve(),
    };
  }

  async writeState(update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }): Promise<void> {
    const ack = await this.client.write(update);
    if (ack.rejected.length > 0)
      throw new WriteFailedError(
        `cursor/gap rows rejected: ${ack.rejected.map((r) => `${r.id}: ${r.reason}`).join('; ')}`,
        undefined,
      );
  }

  lockMetrics(): Promise<LockContentionMetrics | undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

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
    return new DirectCollectorStore(manager, db, new WriteStatements(db, detectSchemaFlavor(db)));
  }

  async writeState(update: { cursors?: CursorUpdate[]; gaps?: GapRecord[] }): Promise<void> {
    const now = storedTimestamp();
    for (let attempt = 0; ; attempt++) {
      try {
        this.stateDb.exec('BEGIN IMMEDIATE');
        try {
          for (const g of update.gaps ?? []) this.statements.insertGap(g);
          for (const c of update.cursors ?? []) this.statements.upsertCursor(c, now);
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
        await sleep(Math.min(1000, 5 * 2 ** attempt) * (0.5 + Math.random() / 2));
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
