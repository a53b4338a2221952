// The package's testing entry (`import … from 'gecko-collector/testing'`): fault drills and test reads for a
// LockOptimizedDatabaseManager, apart from its production API. Tests and benchmarks use them; a collector does not.

import type Database from 'better-sqlite3';
import type { LockOptimizedDatabaseManager, LockOptimizedManagerOptions } from '../funnel/lock-optimized-manager.ts';
import { TESTING } from '../funnel/testing-hooks.ts';
import type { SqliteWriterControl } from '../protocol/messages.ts';

/** Manager options with the writer slowed down `factor` times (backpressure drills): after each commit it idles. */
export function withWriterSlowdown(
  factor: number,
  options: LockOptimizedManagerOptions = {},
): LockOptimizedManagerOptions {
  return { ...options, [TESTING]: { ...options[TESTING], writerSlowdown: factor } };
}

/** Terminates the writer thread as a crash would; the manager's supervisor restarts it. */
export function killWriter(manager: LockOptimizedDatabaseManager): Promise<void> {
  return manager[TESTING]().supervisor.kill();
}

/**
 * Caps an SQLite database at `pages` pages (PRAGMA max_page_count on the writer's connection; 0 lifts the cap):
 * writes past it fail with SQLITE_FULL and are deferred, as on a full disk. Lost on a writer restart.
 */
export function setPageLimit(manager: LockOptimizedDatabaseManager, pages: number): Promise<number> {
  if (manager.info?.engine !== 'sqlite') throw new Error('a page limit is an SQLite setting: open an SQLite manager');
  return manager[TESTING]().supervisor.call((r) =>
    (r as unknown as import('comlink').Remote<SqliteWriterControl>).setPageLimit(pages),
  );
}

/** Runs `fn` on one of the manager's read-only SQLite connections (WAL: it does not block the writer). */
export function readDatabase<T>(manager: LockOptimizedDatabaseManager, fn: (db: Database.Database) => T): Promise<T> {
  return manager[TESTING]().read(fn);
}
