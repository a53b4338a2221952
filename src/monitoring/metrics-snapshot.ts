// One snapshot of everything an operator watches: lock contention, batching, breaker, deferred queue,
// writer restarts and active alerts. `getLockContentionMetrics()`, `doctor --json` and `/metrics` all read it.

import type { CircuitBreakerStats } from '../breaker/circuit-breaker.ts';
import type { BatchOriginFigures } from '../protocol/flush-reason.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
import type { HistogramFigures } from './duration-histogram.ts';

export interface BatchFigures {
  /** Average rows per batch the writer received. */
  avgBatchSize: number;
  /** The configured BatchConfig.maxBatchSize (the alert compares against half of it). */
  maxBatchSize: number;
  batches: number;
  rows: number;
  /**
   * The same batches and rows split by why each batch was cut (size, maxWait, flush, close; `unspecified`
   * when the sender did not batch). The small-batches alert leaves maxWait and close out. Absent in
   * metrics files written before the split existed.
   */
  byReason?: BatchOriginFigures;
  /** The same batches by size in rows, as a histogram (absent in metrics files of older builds). */
  sizes?: HistogramFigures;
}

export interface DeferredFigures {
  batches: number;
  rows: number;
  oldestAgeMs: number | null;
  bytes: number;
  /** Batches deferred / replayed since start. */
  deferredTotal: number;
  replayedTotal: number;
}

export interface WriterFigures {
  restarts: number;
  lastRestartAt: number | null;
  /** Batches currently queued in the writer. */
  backlog: number;
  /** Checkpoints done by the checkpointer thread, and WAL pages it could not copy yet at the last one. */
  checkpoints?: number;
  walPages?: number;
  /** Durations of the committed transactions, seconds (absent in metrics files of older builds). */
  commitSeconds?: HistogramFigures;
  /** Trade ids received again with other contents (first version kept), overall and per pool; SQLite only. */
  conflicts?: number;
  conflictsByPool?: Record<string, number>;
}

export type AlertName = 'lock-retry-rate' | 'breaker-open-too-long' | 'small-batches' | 'slow-query';

export interface ActiveAlert {
  name: AlertName;
  message: string;
  value: number;
  threshold: number;
  since: number;
}

export interface AlertThresholds {
  /** Busy retries / operations above this fraction. Default 0.05. */
  lockRetryRate: number;
  /** Breaker open longer than this. Default 60000 ms. */
  breakerOpenMs: number;
  /** Average batch size below this fraction of maxBatchSize (timer and close flushes not counted). Default 0.5. */
  minBatchFill: number;
  /** `SELECT 1` slower than this. Default 100 ms. */
  queryLatencyMs: number;
  /** Don't judge batch fill before this many batches. Default 20. */
  minBatchesForFill: number;
}

/** One pool's figures in a collection run (see protocol/pool-counters.ts). */
export interface PoolFigures {
  /** `{network}_{address}`. */
  pool: string;
  polls: number;
  requests: number;
  throttled: number;
  errors: number;
  /** New trades of the pool committed. */
  stored: number;
  /** Trades of its responses the row checks refused, each counted once (absent in files of older builds). */
  rejected?: number;
  /** Epoch ms of the last successful poll; null before the first. */
  lastSuccessAt: number | null;
  /** The schedule's estimate of its trades/s (null while unknown) and the interval it chose, ms (0 before any). */
  estimatedRate?: number | null;
  intervalMs?: number;
  /**
   * Trades the pool probably missed in this run: from the API's own trade counters where they reach
   * (`missedBasis` counters), else what its gaps probably held (rate × span).
   */
  estimatedMissed?: number;
  /** Which estimate `estimatedMissed` is. */
  missedBasis?: MissedBasis;
  /** Rate × span alone (the gaps' own estimates), beside a counter-based `estimatedMissed`. */
  estimatedMissedGaps?: number;
}

/** counters: from the pools' `transactions` counters against the stored trades; gaps: rate × span of each gap. */
export type MissedBasis = 'counters' | 'gaps';

/** A run's coverage: what its pools made, as estimated, and which estimate the missed trades are. */
export interface CoverageFigures {
  made: number;
  stored: number;
  missed: number;
  /** counters when every pool's is, gaps when none's is, else mixed. */
  basis: MissedBasis | 'mixed';
  /** Rate × span alone, every pool. */
  missedGaps: number;
  /** Pools whose missed trades come from their counters. */
  counterPools: number;
}

/** The schedule's budget plan: calls/min the pools need against the budget, and what falls short. */
export interface SchedulePlanFigures {
  mode: 'adaptive' | 'fixed';
  neededPerMin: number;
  budgetPerMin: number;
  /** Calls/min the chosen intervals spend. */
  plannedPerMin: number;
  /** Pools whose rate is known (the others count at the max interval). */
  ratesKnown: number;
  pools: number;
  short: { pools: number; missedPerHour: number; budgetToCover: number } | null;
}

/** What a collection run adds to the funnel's figures: the API side, over the run and per pool. */
export interface CollectionFigures {
  /** Epoch ms. */
  startedAt: number;
  pollIntervalMs: number;
  collectorsRunning: number;
  polls: number;
  requests: number;
  throttled: number;
  /** Calls that returned usable data. */
  succeeded: number;
  pollErrors: number;
  malformedResponses: number;
  tradesFetched: number;
  /** Trades of readable responses the row checks refused (absent in files of older builds). */
  tradesRejected?: number;
  repeats: number;
  gaps: number;
  pools: PoolFigures[];
  /** Absent in files of older builds. */
  schedule?: SchedulePlanFigures;
  /** Trades the pools made in this run as estimated: stored, plus estimated missed (absent in older files). */
  coverage?: CoverageFigures;
}

export interface CollectorMetricsSnapshot {
  at: number;
  lock: LockContentionMetrics;
  batch: BatchFigures;
  breaker: CircuitBreakerStats;
  deferred: DeferredFigures;
  writer: WriterFigures;
  alerts: ActiveAlert[];
  /** Present when the snapshot comes from a collection run. */
  collection?: CollectionFigures;
}
