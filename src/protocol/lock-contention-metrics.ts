// The figures `getLockContentionMetrics()` returns (the Python collector's `get_lock_contention_metrics()`), shared by
// both managers so before/after comparisons read the same fields.

import type { LatencySummary } from './messages.ts';

export interface LockContentionMetrics {
  manager: 'funnel' | 'direct';
  journalMode: string;
  synchronous: string;
  busyTimeoutMs: number;
  /** PRAGMA cache_size as SQLite reports it (negative = KiB). */
  cacheSize: number;
  /** Latency of a simple `SELECT 1` just now. */
  queryLatencyMs: number;
  /** Retries caused by SQLITE_BUSY/SQLITE_LOCKED. */
  busyRetries: number;
  /** Operations that hit SQLITE_BUSY/SQLITE_LOCKED (each one, retried or not). */
  lockErrors: number;
  /** Transactions that waited inside busy_timeout for another connection's lock. */
  busyWaits: number;
  operations: number;
  rowsInserted: number;
  duplicates: number;
  rejected: number;
  /** Per-operation write latency (transaction, including waits). */
  writeLatencyMs: LatencySummary;
  /** Batches waiting in the writer (funnel only; 0 for direct). */
  writerBacklog: number;
}
