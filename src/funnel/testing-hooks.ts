// The manager's fault-drill hooks, kept out of its public API: only gecko-collector/testing (src/testing/) reaches
// them, through this symbol, which the package's main entry does not export.

import type Database from 'better-sqlite3';
import type { WriterSupervisor } from './writer-supervisor.ts';

export const TESTING: unique symbol = Symbol('gecko-collector/testing');

/** Options only tests and benchmarks pass (gecko-collector/testing's withTestingOptions). */
export interface TestingOptions {
  /** Backpressure drills: run the writer this many times slower (see WriterSettings.slowdownFactor). */
  writerSlowdown?: number;
}

/** What the testing entry reaches inside an open manager. */
export interface ManagerInternals {
  supervisor: WriterSupervisor;
  /** A read-only SQLite connection of the manager's pool (PostgreSQL: refused). */
  read<T>(fn: (db: Database.Database) => T): Promise<T>;
}
