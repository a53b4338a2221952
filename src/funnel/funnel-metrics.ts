// The funnel's metrics snapshot (what /metrics, doctor and the alerts read), assembled from the writer thread's
// figures and the main thread's breaker, spool and supervisor state.

import type { CircuitBreakerStats } from '../breaker/circuit-breaker.ts';
import type { HistogramFigures } from '../monitoring/duration-histogram.ts';
import type { CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import { BATCH_SIZE_BUCKETS } from '../protocol/batch-sizes.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { WriterMetrics } from '../protocol/messages.ts';

export interface FunnelFigures {
  writer: WriterMetrics;
  queryLatencyMs: number;
  maxBatchSize: number;
  breaker: CircuitBreakerStats;
  deferred: CollectorMetricsSnapshot['deferred'];
  restarts: number;
  lastRestartAt: number | null;
  checkpoints: number;
  walPages: number;
  commitSeconds: HistogramFigures;
}

/** The snapshot before alerts are evaluated on it. */
export function funnelSnapshot(f: FunnelFigures, at: number = Date.now()): Omit<CollectorMetricsSnapshot, 'alerts'> {
  const m = f.writer;
  return {
    at,
    lock: lockFigures(m, f.queryLatencyMs),
    batch: {
      // Only batches that carry trades: cursor and pool-metadata writes are small by nature.
      avgBatchSize: m.tradeBatches ? m.tradeRows / m.tradeBatches : 0,
      maxBatchSize: f.maxBatchSize,
      batches: m.tradeBatches,
      rows: m.tradeRows,
      byReason: m.tradeBatchesByReason,
      sizes: batchSizeHistogram(m),
    },
    breaker: f.breaker,
    deferred: f.deferred,
    writer: {
      restarts: f.restarts,
      lastRestartAt: f.lastRestartAt,
      backlog: m.backlogBatches,
      checkpoints: f.checkpoints,
      walPages: f.walPages,
      commitSeconds: f.commitSeconds,
      conflicts: m.conflicts,
      conflictsByPool: m.conflictsByPool,
    },
  };
}

function batchSizeHistogram(m: WriterMetrics): HistogramFigures {
  let running = 0;
  return {
    buckets: [...BATCH_SIZE_BUCKETS],
    counts: BATCH_SIZE_BUCKETS.map((_, i) => (running += m.tradeBatchSizes[i] ?? 0)),
    count: m.tradeBatches,
    sum: m.tradeRows,
  };
}

function lockFigures(m: WriterMetrics, queryLatencyMs: number): LockContentionMetrics {
  const e = m.engine;
  return {
    manager: 'funnel',
    // These figures are named after SQLite's: on PostgreSQL durability is the server's (synchronous_commit) and the
    // lock wait is lock_timeout; it has no page cache of ours nor BEGIN IMMEDIATE waits.
    journalMode: e.engine === 'sqlite' ? e.connection.journalMode : 'server',
    synchronous: e.engine === 'sqlite' ? e.connection.synchronous : e.synchronousCommit,
    busyTimeoutMs: e.engine === 'sqlite' ? e.connection.busyTimeoutMs : e.lockTimeoutMs,
    cacheSize: e.engine === 'sqlite' ? e.connection.cacheSize : 0,
    queryLatencyMs,
    busyRetries: m.retries,
    lockErrors: m.lockErrors,
    busyWaits: e.engine === 'sqlite' ? e.busyWaits : 0,
    operations: m.transactions,
    rowsInserted: m.rowsInserted,
    duplicates: m.duplicates,
    rejected: m.rejected,
    writeLatencyMs: m.commitMs,
    writerBacklog: m.backlogBatches,
  };
}
