// DirectDatabaseManager: the old way, kept as the measured "before" and as the rollback switch. Each
// instance has its own read-write connection and does what the Python collector did: a deferred transaction
// that SELECTs the ids already stored, INSERTs the rest, and retries with backoff on SQLITE_BUSY.

import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { StoreResult } from '../batch/trade-store.ts';
import { backoffDelayMs } from '../common/backoff.ts';
import { LatencyRecorder } from '../common/latency-recorder.ts';
import { type DatabaseConfig, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { DatabaseOpenError, isLockError, StateError, sqliteCodeOf, WriteFailedError } from '../errors.ts';
import { componentLogger } from '../logging/logger.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { RejectedRow } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import {
  applyWriteConnectionSettings,
  describeConnection,
  simpleQueryLatencyMs,
} from '../storage/sqlite/connection-settings.ts';
import { checkDatabaseFile } from '../storage/sqlite/database-file-check.ts';
import { migrate } from '../storage/sqlite/schema-migrations.ts';
import {
  CREATED_AT_PARAM,
  type PoolMetadata,
  storedTimestamp,
  storePoolMetadata,
  tradeBindValues,
  tradeInsertSql,
  WriteStatements,
} from '../storage/sqlite/trade-statements.ts';
import { latestAcceptedTime, type TradeRow, validateTrade } from '../trades/trade-validation.ts';

export interface DirectManagerOptions {
  /** Where it logs (a pino logger, at its level). Without one the library is silent. */
  logger?: Logger;
  /** Retries of one store after SQLITE_BUSY (the Python collector used exponential backoff too). */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

const SELECT_CHUNK = 500;

export class DirectDatabaseManager {
  readonly config: DatabaseConfig;
  readonly settings: WriterSettings;
  private readonly log: Logger;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private db: Database.Database | undefined;
  private readonly selectByCount = new Map<number, Database.Statement>();
  private insert: Database.Statement | undefined;
  /** The writer thread's statements on this connection (pools, dexes, the stub pools rows trades need). */
  private statements: WriteStatements | undefined;
  private readonly latency = new LatencyRecorder();
  private readonly counters = {
    operations: 0,
    lockErrors: 0,
    busyRetries: 0,
    rowsInserted: 0,
    duplicates: 0,
    rejected: 0,
    conflicts: 0,
  };

  constructor(config: Partial<DatabaseConfig> = {}, options: DirectManagerOptions = {}) {
    this.config = resolveDatabaseConfig(config);
    this.settings = writerSettingsFrom(this.config);
    this.log = (options.logger ?? componentLogger('db-manager')).child({ manager: 'direct' });
    this.maxRetries = options.maxRetries ?? 20;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 500;
  }

  async initialize(): Promise<void> {
    if (this.db) return;
    checkDatabaseFile(this.settings.path);
    let db: Database.Database;
    try {
      db = new Database(this.settings.path);
    } catch (err) {
      throw new DatabaseOpenError(`cannot open database file ${this.settings.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // Several direct connections opening at once race to switch to WAL and migrate: the old way retries.
    await this.withLockRetries(() => {
      applyWriteConnectionSettings(db, this.settings, 'direct');
      migrate(db);
    });
    this.db = db;
    this.insert = db.prepare(tradeInsertSql('INSERT'));
    this.statements = new WriteStatements(db);
  }

  /** `store_trade_data` of the Python collector: check-then-insert in a deferred transaction, retried on SQLITE_BUSY. */
  async storeTradeData(trades: readonly TradeRecord[]): Promise<StoreResult> {
    const db = this.requireDb();
    const rejected: RejectedRow[] = [];
    const rows: TradeRow[] = [];
    const latest = latestAcceptedTime(this.config.maxClockSkewMs);
    trades.forEach((t, i) => {
      const v = validateTrade(t, i, latest);
      if (v.ok) rows.push(v.row);
      else rejected.push({ id: v.id, reason: v.reason });
    });
    const t0 = performance.now();
    const result = await this.withLockRetries(() => this.checkThenInsert(db, rows));
    this.latency.record(performance.now() - t0);
    this.counters.operations++;
    this.counters.rowsInserted += result.inserted;
    this.counters.duplicates += result.duplicates;
    this.counters.rejected += rejected.length;
    return { ...result, rejected };
  }

  /**
   * Upserts pools and dexes in one transaction, with the same statements and row rules as the funnel's
   * writer (a refused row comes back in `rejected`, the rest commit); retried on SQLITE_BUSY.
   */
  async storePoolMetadata(meta: PoolMetadata): Promise<{ rejected: RejectedRow[] }> {
    const db = this.requireDb();
    const statements = this.requireStatements();
    const t0 = performance.now();
    const rejected = await this.withLockRetries(() => {
      const out: RejectedRow[] = [];
      db.exec('BEGIN IMMEDIATE');
      try {
        storePoolMetadata(statements, meta, storedTimestamp(), out);
        db.exec('COMMIT');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
      return out;
    });
    this.latency.record(performance.now() - t0);
    this.counters.operations++;
    if (rejected.length > 0)
      this.log.warn({ rejected: rejected.slice(0, 5), count: rejected.length }, 'pool metadata rows rejected');
    return { rejected };
  }

  private checkThenInsert(db: Database.Database, rows: TradeRow[]): { inserted: number; duplicates: number } {
    db.exec('BEGIN');
    try {
      const existing = new Set<string>();
      for (let i = 0; i < rows.length; i += SELECT_CHUNK) {
        const ids = rows.slice(i, i + SELECT_CHUNK).map((r) => r[0]);
        for (const r of this.selectExisting(db, ids.length).all(...ids) as { id: string }[]) existing.add(r.id);
      }
      const now = storedTimestamp();
      const statements = this.requireStatements();
      let inserted = 0;
      let lastPool: string | undefined;
      for (const row of rows) {
        if (existing.has(row[0])) continue;
        existing.add(row[0]);
        if (row[1] !== lastPool) statements.ensurePool(row[1], now);
        lastPool = row[1];
        this.insert!.run(...tradeBindValues(row), { [CREATED_AT_PARAM]: now });
        inserted++;
      }
      db.exec('COMMIT');
      return { inserted, duplicates: rows.length - inserted };
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  private selectExisting(db: Database.Database, n: number): Database.Statement {
    let stmt = this.selectByCount.get(n);
    if (!stmt) {
      stmt = db.prepare(`SELECT id FROM trades WHERE id IN (${new Array(n).fill('?').join(',')})`);
      this.selectByCount.set(n, stmt);
    }
    return stmt;
  }

  private async withLockRetries<T>(fn: () => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (err) {
        const code = sqliteCodeOf(err);
        // Two connections can both see an id as missing; the loser's INSERT then violates the primary key.
        const conflict = code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
        if (!isLockError(err) && !conflict) throw err;
        if (conflict) this.counters.conflicts++;
        else this.counters.lockErrors++;
        if (attempt >= this.maxRetries) {
          throw new WriteFailedError(`gave up after ${attempt + 1} attempts: ${(err as Error).message}`, code, {
            cause: err,
          });
        }
        this.counters.busyRetries++;
        const delay = backoffDelayMs(attempt, { baseMs: this.baseDelayMs, maxMs: this.maxDelayMs });
        this.log.debug({ attempt, code, delayMs: Math.round(delay) }, 'database is locked; backing off');
        await sleep(delay);
      }
    }
  }

  async getLockContentionMetrics(): Promise<LockContentionMetrics> {
    const db = this.requireDb();
    const queryLatencyMs = simpleQueryLatencyMs(db);
    const c = this.counters;
    const d = describeConnection(db);
    return {
      manager: 'direct',
      journalMode: d.journalMode,
      synchronous: d.synchronous,
      busyTimeoutMs: d.busyTimeoutMs,
      cacheSize: d.cacheSize,
      queryLatencyMs,
      busyRetries: c.busyRetries,
      lockErrors: c.lockErrors,
      busyWaits: 0,
      operations: c.operations,
      rowsInserted: c.rowsInserted,
      duplicates: c.duplicates,
      rejected: c.rejected,
      writeLatencyMs: this.latency.summary(),
      writerBacklog: 0,
    };
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }

  private requireDb(): Database.Database {
    if (!this.db) throw new StateError('DirectDatabaseManager is not initialized (or closed); call initialize() first');
    return this.db;
  }

  private requireStatements(): WriteStatements {
    this.requireDb();
    return this.statements!;
  }
}
