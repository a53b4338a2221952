// A complete, typed CollectorMetricsSnapshot with quiet defaults; tests override only the sections they need.

import type { CollectorMetricsSnapshot } from '../../src/monitoring/metrics-snapshot.ts';

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

/** A run in trouble, every section filled: breaker open, alerts raised, two pools, commit latencies. */
export const busySnapshot = (): CollectorMetricsSnapshot =>
  makeSnapshot({
    lock: {
      lockErrors: 3,
      busyRetries: 7,
      busyWaits: 2,
      operations: 1234,
      rowsInserted: 246_800,
      duplicates: 55,
      rejected: 4,
      queryLatencyMs: 0.35,
      writeLatencyMs: { count: 1234, mean: 2, p50: 1.5, p95: 7.25, p99: 12, max: 40 },
    },
    batch: {
      avgBatchSize: 187.5,
      maxBatchSize: 200,
      batches: 1300,
      rows: 243_750,
      byReason: {
        size: { batches: 1200, rows: 240_000 },
        maxWait: { batches: 96, rows: 3700 },
        flush: { batches: 0, rows: 0 },
        close: { batches: 4, rows: 50 },
        unspecified: { batches: 0, rows: 0 },
      },
      sizes: { buckets: [50, 200], counts: [100, 1300], count: 1300, sum: 243_750 },
    },
    breaker: { state: 'OPEN', opens: 2, rejections: 17, openedAt: 1_699_999_990_000 },
    deferred: { batches: 5, rows: 900, oldestAgeMs: 12_500, bytes: 4096, deferredTotal: 9, replayedTotal: 4 },
    writer: {
      restarts: 1,
      lastRestartAt: 1_699_999_000_000,
      backlog: 3,
      checkpoints: 12,
      commitSeconds: { buckets: [0.001, 0.01, 0.1], counts: [100, 1200, 1233], count: 1234, sum: 2.468 },
    },
    collection: {
      startedAt: 1_699_999_940_000,
      pollIntervalMs: 60_000,
      collectorsRunning: 2,
      polls: 40,
      requests: 45,
      throttled: 5,
      succeeded: 38,
      pollErrors: 2,
      malformedResponses: 1,
      tradesFetched: 12_000,
      repeats: 9000,
      gaps: 1,
      pools: [
        {
          pool: 'solana_A',
          polls: 20,
          requests: 22,
          throttled: 2,
          errors: 0,
          stored: 2000,
          lastSuccessAt: 1_699_999_990_000,
        },
        { pool: 'solana_B', polls: 20, requests: 23, throttled: 3, errors: 2, stored: 1000, lastSuccessAt: null },
      ],
    },
    alerts: [
      { name: 'breaker-open-too-long', message: 'open', value: 61_000, threshold: 60_000, since: 1_700_000_000_000 },
    ],
  });
