// What a funnel holds besides its writer: the lock that makes it the only writer of its store (SQLite: the
// database; PostgreSQL: its spool slot), and the store-neutral read-only connections of a run.

import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/database-config.ts';
import { DatabaseOpenError } from '../errors.ts';
import type { WriterSettings } from '../protocol/writer-settings.ts';
import { defaultSpoolPath, ensureSpoolDirectory } from '../spool/spool-location.ts';
import { acquireSpoolSlot, lockSpool } from '../spool/spool-slot.ts';
import type { CollectionReads } from '../storage/collection-reads.ts';
import { sqliteCollectionReads } from '../storage/sqlite/collection-reads.ts';
import { checkDatabaseFile } from '../storage/sqlite/database-file-check.ts';
import { DatabaseLock } from '../storage/sqlite/database-lock.ts';
import { ReaderPool } from '../storage/sqlite/reader-pool.ts';

/**
 * Takes the store's lock and picks the spool; `spoolPath` is the caller's choice, if any. Sets the PostgreSQL
 * lease holder, which is named after the spool.
 */
export function lockStore(
  settings: WriterSettings,
  spoolPath: string | undefined,
): { lock: DatabaseLock; spool: string } {
  if (settings.postgres) {
    // The state directory, created for this user when the spool goes there.
    if (spoolPath === undefined) ensureSpoolDirectory(path.dirname(settings.path));
    const slot = spoolPath === undefined ? acquireSpoolSlot(settings.path) : lockSpool(spoolPath);
    // One live process per spool on a host: the spool names the process in the lease table, so a restart
    // on the same spool takes back at once the pools its dead predecessor held.
    settings.postgres.leaseHolder = `${os.hostname()}:${path.resolve(slot.path)}`;
    return { lock: slot.lock, spool: slot.path };
  }
  // Before the lock file, the writer's PRAGMAs and migrations: a foreign or read-only file is left as it was.
  checkDatabaseFile(settings.path);
  const lock = DatabaseLock.acquire(settings.path);
  return { lock, spool: spoolPath ?? defaultSpoolPath(settings.path) };
}

/**
 * The run's read-only connections; `readers` is the SQLite pool that `read(fn)` hands out. One reader opens
 * now, so a store the readers cannot reach fails the start instead of the run's first read.
 */
export async function openCollectionReads(
  settings: WriterSettings,
  config: DatabaseConfig,
  log: Logger,
): Promise<{ reads: CollectionReads; readers?: ReaderPool }> {
  const opened = await readConnections(settings, config, log);
  try {
    await opened.reads.queryLatencyMs();
  } catch (err) {
    await opened.reads.close().catch(() => undefined);
    if (err instanceof DatabaseOpenError) throw err;
    const where = settings.postgres?.display ?? settings.path;
    throw new DatabaseOpenError(`cannot open a reader on ${where}: ${(err as Error).message}`, { cause: err });
  }
  return opened;
}

async function readConnections(
  settings: WriterSettings,
  config: DatabaseConfig,
  log: Logger,
): Promise<{ reads: CollectionReads; readers?: ReaderPool }> {
  if (settings.postgres) {
    // Loaded only for PostgreSQL: an SQLite user never loads the pg driver.
    const { pgCollectionReads } = await import('../storage/postgres/collection-reads.ts');
    return { reads: pgCollectionReads(settings.postgres, config.poolSize + config.maxOverflow) };
  }
  const readers = new ReaderPool(settings, config.poolSize, config.maxOverflow, log);
  return {
    reads: sqliteCollectionReads(
      (fn) => readers.read(fn),
      () => readers.close(),
    ),
    readers,
  };
}
