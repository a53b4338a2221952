// A complete, typed CollectorMetricsSnapshot with quiet defaults; tests override only the sections they need.

import type { CollectorMetricsSnapshot } from '../../../src/monitoring/metrics-snapshot.ts';

export interface SnapshotOverrides {
  at?: number;
  lock?: Partial<CollectorMetricsSnapshot['lock']>;
  batch?: Partial<CollectorMetricsSnapshot['batch']>;
  breaker?: Partial<CollectorMetricsSnapshot['breaker']>;
  deferred?: Partial<CollectorMetricsSnapshot['deferred']>;
  writer?: Partial<CollectorMetricsSnapshot['writer']>;
  alerts?: CollectorMetricsSnapshot['alerts'];
  collection?: CollectorMetricsSnapshot['collection'];
}

export function makeSnapshot(o: SnapshotOverrides = {}): CollectorMetricsSnapshot {
  return {
    at: o.at ?? 1_700_000_000_000,
    lock: {
      manager: 'funnel',
      journalMode: 'wal',
      synchronous: 'NORMAL',
      busyTimeoutMs: 5000,
      cacheSize: -65536,
      queryLatencyMs: 0.2,
      busyRetries: 0,
      lockErrors: 0,
      busyWaits: 0,
      operations: 0,
      rowsInserted: 0,
      duplicates: 0,
      rejected: 0,
      writeLatencyMs: { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      writerBacklog: 0,
      ...o.lock,
    },
    batch: { avgBatchSize: 0, maxBatchSize: 200, batches: 0, rows: 0, ...o.batch },
    breaker: {
      name: 'writer',
      state: 'CLOSED',
      generation: 0,
      successes: 0,
      failures: 0,
      ignoredErrors: 0,
      rejections: 0,
      opens: 0,
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
      currentOpenMs: 5000,
      openedAt: null,
      unhealthySince: null,
      openUntil: null,
      timeInOpenMs: 0,
      halfOpenAdmitted: 0,
      halfOpenSuccesses: 0,
      deferred: 0,
      drained: 0,
      ...o.breaker,
    },
    deferred: { batches: 0, rows: 0, oldestAgeMs: null, bytes: 0, deferredTotal: 0, replayedTotal: 0, ...o.deferred },
    writer: { restarts: 0, lastRestartAt: null, backlog: 0, ...o.writer },
    alerts: o.alerts ?? [],
    ...(o.collection ? { collection: o.collection } : {}),
  };
}

/** The snapshot without `alerts`, as AlertEvaluator.evaluate takes it. */
export function makeAlertInput(o: Omit<SnapshotOverrides, 'alerts'> = {}): Omit<CollectorMetricsSnapshot, 'alerts'> {
  const { alerts: _alerts, ...rest } = makeSnapshot(o);
  return rest;
}
