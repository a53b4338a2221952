// What a LockOptimizedDatabaseManager is configured with (its logger, breaker, supervisor, spool, replay and
// alert settings, the testing drills' slot) and the shapes of what it returns beyond the shared store types.

import type { Logger } from 'pino';
import type { StoreResult } from '../batch/trade-store.ts';
import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.ts';
import type { AlertThresholds, CollectorMetricsSnapshot } from '../monitoring/metrics-snapshot.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { DeferredQueueOptions } from '../spool/deferred-queue.ts';
import type { TESTING, TestingOptions } from './testing-hooks.ts';
import type { SupervisorOptions } from './writer-supervisor.ts';

export interface LockOptimizedManagerOptions {
  /**
   * Where the manager logs (a pino logger): its own records, the breaker's, the spool's, and at this logger's
   * level the writer thread's. Without one the library is silent.
   */
  logger?: Logger;
  breaker?: CircuitBreakerOptions;
  supervisor?: Omit<SupervisorOptions, 'gate'>;
  /**
   * The durable deferred queue; `path` defaults to `<database>.spool` (SQLite), or on PostgreSQL to the first
   * free slot of `pg-<host>-<port>-<database>[-<schema>].spool`, `….2.spool`, … in the state directory
   * (`$STATE_DIRECTORY`, else `$XDG_STATE_HOME/gecko-collector`, else `~/.local/state/gecko-collector`).
   */
  deferred?: DeferredQueueOptions & { path?: string };
  /** How often a non-empty deferred queue is retried while the breaker is closed. */
  replayIntervalMs?: number;
  alerts?: Partial<AlertThresholds>;
  /** How often alerts are evaluated (and logged on change). */
  alertIntervalMs?: number;
  /** The collectors' BatchConfig.maxBatchSize, which the small-batches alert compares with. */
  maxBatchSize?: number;
  /** Fault drills (gecko-collector/testing). */
  [TESTING]?: TestingOptions;
}

/** getLockContentionMetrics() of the funnel: the lock figures plus breaker, deferred queue, writer and alerts. */
export type FunnelContentionMetrics = LockContentionMetrics & Omit<CollectorMetricsSnapshot, 'lock' | 'at'>;

export interface FunnelStoreResult extends StoreResult {
  /** True when the batch went to the durable deferred queue instead of the database (written later). */
  deferred: boolean;
}
