// The database as a collection run's main thread sees it: the write funnel, or for the direct (old) way a
// one-off migration plus a read-only connection; either way reads for cursors and checks, and one close.

import Database from 'better-sqlite3';
import { resolveBatchConfig } from '../config/batch-config.ts';
import { type DatabaseConfig, resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { DirectDatabaseManager } from '../direct/direct-manager.ts';
import { LockOptimizedDatabaseManager, type LockOptimizedManagerOptions } from '../funnel/lock-optimized-manager.ts';
import type { StorageFailure } from '../funnel/storage-watch.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import type { Logger } from '../logging/logger.ts';
import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import type { AckMessage, WritePayload, WriterLink } from '../protocol/messages.ts';
import type { PostgresSettings } from '../protocol/writer-settings.ts';
import type { CollectionReads } from '../storage/collection-reads.ts';
import { sqliteCollectionReads } from '../storage/sqlite/collection-reads.ts';
import { checkDatabaseFile } from '../storage/sqlite/database-file-check.ts';
import { DatabaseLock } from '../storage/sqlite/database-lock.ts';
import { COLLECTION_DEFAULTS } from './collection-options.ts';
import type { RunContext } from './run-context.ts';

export interface RunDatabase {
  /** Cursors and stored ids, whichever store (SQLite file or PostgreSQL) holds the trades. */
  reads: CollectionReads;
  writeMetadata(parsed: ParsedPools): Promise<void>;
  /** Any records through the funnel (a gap fill's trades and marks); undefined in direct mode. */
  write: ((payload: WritePayload) => Promise<AckMessage>) | undefined;
  backlog(): Promise<number>;
  /** The funnel's metrics snapshot; undefined in direct mode (no funnel). */
  snapshot: (() => Promise<CollectorMetricsSnapshot>) | undefined;
  /** A collector's own port to the writer; undefined in direct mode, where each collector opens the file. */
  linkForWorker: (() => Promise<WriterLink>) | undefined;
  /** The circuit breaker's state; undefined in direct mode (no breaker). */
  breakerState: () => string | undefined;
  /** After close: what stayed in the spool (trades fetched but not in the database). Zero in direct mode. */
  spooled(): { batches: number; rows: number };
  /** Trades inserted from the spool's replay of batches this run deferred (after any replay running now ends). */
  storedOnReplay(): Promise<number>;
  /** Calls `listener` once if storage fails for good (never in direct mode, which has no watch). */
  onStorageFailure(listener: (f: StorageFailure) => void): void;
  /** The failure, once storage failed for good, and the fetched trades given up because of it. */
  storageFailure(): { failure: StorageFailure; tradesLost: number } | undefined;
  /** PostgreSQL: where the server is and this process's lease holder id (pools are shared through leases). */
  shared: { postgres: PostgresSettings; holder: string } | undefined;
  close(): Promise<void>;
}

/**
 * The store phase of a run: the funnel (writer thread, circuit breaker, spool) or the direct way's connections,
 * closed with the run after the collectors and the servers are gone.
 */
export async function openStore(ctx: RunContext): Promise<RunDatabase> {
  const { options, settings } = ctx;
  const db =
    settings.manager === 'funnel'
      ? await openFunnel(
          settings.dbConfig,
          resolveBatchConfig(options.batch ?? COLLECTION_DEFAULTS.preset).maxBatchSize,
          options.logger,
          options.spoolPath !== undefined ? { deferred: { path: options.spoolPath } } : {},
        )
      : await openDirect(settings.dbConfig, options.logger);
  ctx.disposer.push(db, (d) => d.close());
  // Storage failed for good (the watch said so in one line): no poll can be kept any more.
  db.onStorageFailure(() => ctx.stopper.stop());
  return db;
}

export async function openFunnel(
  config: Partial<DatabaseConfig>,
  maxBatchSize: number,
  logger?: Logger,
  options: Pick<LockOptimizedManagerOptions, 'deferred'> = {},
): Promise<RunDatabase & { manager: LockOptimizedDatabaseManager }> {
  // maxBatchSize: the batch-fill figure and the small-batches alert compare with the run's own preset.
  const manager = new LockOptimizedDatabaseManager(config, { maxBatchSize, ...(logger ? { logger } : {}), ...options });
  await manager.initialize();
  return {
    manager,
    reads: manager.reads(),
    write: (payload) => manager.write(payload),
    writeMetadata: async (parsed) => {
      if (parsed.pools.length === 0 && parsed.dexes.length === 0) return;
      await manager.write({ pools: parsed.pools, dexes: parsed.dexes });
    },
    backlog: async () => (await manager.getWriterMetrics()).backlogBatches,
    snapshot: () => manager.getMetricsSnapshot(),
    linkForWorker: () => manager.linkForWorker(),
    breakerState: () => manager.breaker.state,
    spooled: () => manager.leftInSpool ?? { batches: 0, rows: 0 },
    storedOnReplay: async () => {
      await manager.replaySettled();
      return manager.storedOnReplay;
    },
    onStorageFailure: (listener) => manager.onStorageFailure(listener),
    storageFailure: () =>
      manager.storageFailure ? { failure: manager.storageFailure, tradesLost: manager.tradesLost } : undefined,
    shared:
      manager.settings.postgres && manager.leaseHolder
        ? { postgres: manager.settings.postgres, holder: manager.leaseHolder }
        : undefined,
    close: () => manager.close(),
  };
}

/** Direct mode: migrate once with a direct manager, then read through a read-only connection. */
export async function openDirect(config: Partial<DatabaseConfig>, logger?: Logger): Promise<RunDatabase> {
  const options = logger ? { logger } : {};
  const settings = writerSettingsFrom(resolveDatabaseConfig(config));
  // The old way has a connection per collector, but still one collection run per file: a second run would
  // poll the same pools and race this one over their cursors.
  checkDatabaseFile(settings.path);
  const lock = DatabaseLock.acquire(settings.path);
  let reader: Database.Database;
  try {
    const setup = new DirectDatabaseManager(config, options);
    await setup.initialize();
    await setup.close();
    reader = new Database(settings.path, { readonly: true, fileMustExist: true });
  } catch (err) {
    lock.release();
    throw err;
  }
  reader.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
  return {
    reads: sqliteCollectionReads(
      async (fn) => fn(reader),
      () => undefined,
    ),
    // The old way has no funnel to fill gaps through.
    write: undefined,
    // No writer thread in the old way: the metadata goes through a direct connection, as the trades do.
    writeMetadata: async (parsed) => {
      if (parsed.pools.length === 0 && parsed.dexes.length === 0) return;
      const writer = new DirectDatabaseManager(config, options);
      await writer.initialize();
      try {
        await writer.storePoolMetadata(parsed);
      } finally {
        await writer.close();
      }
    },
    backlog: async () => 0,
    snapshot: undefined,
    linkForWorker: undefined,
    breakerState: () => undefined,
    spooled: () => ({ batches: 0, rows: 0 }),
    storedOnReplay: async () => 0,
    onStorageFailure: () => undefined,
    storageFailure: () => undefined,
    shared: undefined,
    close: async () => {
      reader.close();
      lock.release();
    },
  };
}
