// The end of a run in figures: what each collector handed back (or why it failed), the counters summed, the
// lock figures from the funnel or the collectors' own connections, and the summary returned to the caller.

import type { GeckoClientStats } from '../gecko/gecko-client.ts';
import type {
  CollectorMetricsSnapshot,
  CoverageFigures,
  PoolFigures,
  SchedulePlanFigures,
} from '../monitoring/metrics-snapshot.ts';
import {
  type CollectorCounters,
  type CollectorResult,
  type CounterSnapshot,
  sumCounters,
} from '../protocol/collector-task.ts';
import type { LockFigures } from './run-metrics.ts';
import { coverageOf } from './run-monitor.ts';
import type { SimulatorCheck } from './simulator-check.ts';

/**
 * How the run ended, worst first: the API refused the credentials; storage failed for good mid-run (the database
 * deleted, the disk too full for the spool) and the run stopped; fetched trades stayed in the spool; no API
 * call succeeded; a collector failed; or it collected as asked.
 */
export type RunOutcome =
  | 'auth-refused'
  | 'storage-lost'
  | 'storage-failed'
  | 'no-api-success'
  | 'collector-failed'
  | 'collected';

export interface CollectionSummary {
  outcome: RunOutcome;
  manager: 'funnel' | 'direct';
  batching: boolean;
  pragmas: 'optimized' | 'default';
  network: string;
  dbPath: string;
  pools: number;
  /** Where the pool list came from: `given`, `top 5 of solana`, `watchlist table: ...`, `simulator`. */
  poolSource: string;
  /** An API key was sent (the paid API). */
  paidApi: boolean;
  collectors: number;
  /** Pools that resumed from a cursor saved by an earlier run. */
  resumedPools: number;
  /** From every collector polling to everything committed. */
  durationMs: number;
  /** Database, pools, cursors and collector threads before that. */
  startupMs: number;
  polls: number;
  requests: number;
  throttled: number;
  /**
   * Trade polls the API answered with data (pool lists fetched before are not counted: an empty list of unknown
   * pools is an answer too). 0 with requests sent: the API was unreachable or knew none of the pools.
   */
  succeeded: number;
  /** Set when the API refused the credentials (HTTP 401/403); the run stopped at once. */
  authRefused?: { status: number; message: string };
  fetched: number;
  /** Trades this run inserted (acked as committed), those inserted on replay from the spool included. */
  stored: number;
  /** Of `stored`, the trades of batches this run deferred to the spool and replayed before it ended. */
  storedOnReplay: number;
  /** Repeats dropped by the overlap filter plus duplicates the store found. */
  duplicates: number;
  repeats: number;
  storeDuplicates: number;
  /** Rows the store refused (the writer's row checks). */
  rejected: number;
  /**
   * Trades of API responses the collector's row checks refused (the same checks the writer runs), each counted
   * once: not stored, their page-mates were.
   */
  tradesRejected: number;
  /** Those per pool, for the pools that had any. */
  rejectedByPool: { pool: string; rejected: number }[];
  /** Trade ids received again with other contents: counted, logged once each, the first version kept. */
  conflicts: number;
  conflictsByPool: Record<string, number>;
  gaps: number;
  /**
   * Trades the pools made while the run polled them, as estimated: those stored plus those its gaps probably
   * held (each gap's span at the pool's estimated rate).
   */
  coverage: {
    made: number;
    stored: number;
    estimatedMissed: number;
    /**
     * counters: every pool's missed trades come from the API's own trade counters (pools/multi `transactions`)
     * against the stored trades; gaps: from rate × span of each gap; mixed: some of each.
     */
    basis: CoverageFigures['basis'];
    /** Rate × span alone, every pool (the same as estimatedMissed when the basis is gaps). */
    estimatedMissedGaps: number;
    /** Pools whose missed trades come from their counters. */
    counterPools: number;
  };
  /** The schedule and its budget plan at the end: calls/min the pools need against the budget. */
  budget?: SchedulePlanFigures;
  badResponses: number;
  errors: number;
  lockErrors: number;
  busyRetries: number;
  rowsPerSec: number;
  /** Collectors whose task failed (their error messages). */
  collectorFailures: string[];
  /**
   * Fetched trades that are not in the database but kept in the spool (`<db>.spool`): the writer could not
   * store them (breaker open, storage failing). The next run replays them.
   */
  tradesInSpool: number;
  spoolBatches: number;
  /**
   * Storage failed for good during the run (database file deleted or replaced; the spool could not keep what the
   * database could not take): the line said about it, and the fetched trades given up because of it.
   */
  storageFailure?: { kind: 'database-gone' | 'spool-failed'; message: string; tradesLost: number };
  counters: CounterSnapshot;
  simulator?: SimulatorCheck;
  /** The funnel's metrics snapshot taken once every collector was done (absent in direct mode). */
  metrics?: CollectorMetricsSnapshot;
  /** Where the final snapshot was written (see CollectionOptions.metricsFile). */
  metricsFile?: string;
  metricsUrl?: string;
}

export interface CollectorOutcomes {
  results: CollectorResult[];
  /** The failed collectors' error messages. */
  failures: string[];
}

export function collectorOutcomes(settled: readonly PromiseSettledResult<CollectorResult>[]): CollectorOutcomes {
  return {
    results: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    failures: settled.flatMap((s) =>
      s.status === 'rejected' ? [s.reason instanceof Error ? s.reason.message : String(s.reason)] : [],
    ),
  };
}

/** The collectors' counters plus the main thread's own requests (pool lists, metadata). */
export function runCounters(
  outcomes: CollectorOutcomes,
  collectors: number,
  live: CollectorCounters,
  main: GeckoClientStats,
): CounterSnapshot {
  // Failed collectors still counted what they did into the shared slots.
  const c =
    outcomes.results.length === collectors ? sumCounters(outcomes.results.map((r) => r.counters)) : live.total();
  c.requests += main.requests;
  c.throttled += main.throttled;
  return c;
}

/** The funnel's lock figures (its snapshot) plus, in direct mode, each collector's own connection's. */
export function lockFigures(
  finalSnapshot: CollectorMetricsSnapshot | undefined,
  results: readonly CollectorResult[],
): LockFigures {
  let lockErrors = 0;
  let busyRetries = 0;
  if (finalSnapshot) ({ lockErrors, busyRetries } = finalSnapshot.lock);
  for (const r of results) {
    lockErrors += r.lockMetrics?.lockErrors ?? 0;
    busyRetries += r.lockMetrics?.busyRetries ?? 0;
  }
  return { lockErrors, busyRetries };
}

/** What the run knows at its end; the figures the summary shares with it are taken as they are. */
type RunFacts = Pick<
  CollectionSummary,
  | 'manager'
  | 'batching'
  | 'pragmas'
  | 'network'
  | 'dbPath'
  | 'pools'
  | 'poolSource'
  | 'paidApi'
  | 'collectors'
  | 'resumedPools'
  | 'durationMs'
  | 'startupMs'
>;

export interface SummaryInput extends RunFacts {
  /** Each pool's figures at the end (its refused trades and estimated missed trades go into the summary). */
  poolFigures?: readonly PoolFigures[];
  schedule?: SchedulePlanFigures;
  counters: CounterSnapshot;
  storedOnReplay: number;
  lock: LockFigures;
  failures: string[];
  simulator: SimulatorCheck | undefined;
  authRefused: { status: number; message: string } | undefined;
  spooled: { batches: number; rows: number };
  storageFailure?:
    | { failure: { kind: 'database-gone' | 'spool-failed'; message: string }; tradesLost: number }
    | undefined;
  finalSnapshot: CollectorMetricsSnapshot | undefined;
  metricsFile: string | undefined;
  metricsUrl: string | undefined;
}

export function runOutcome(s: Omit<CollectionSummary, 'outcome'>): RunOutcome {
  if (s.authRefused) return 'auth-refused';
  if (s.storageFailure) return 'storage-lost';
  if (s.tradesInSpool > 0) return 'storage-failed';
  if (s.polls > 0 && s.succeeded === 0) return 'no-api-success';
  if (s.collectorFailures.length > 0) return 'collector-failed';
  return 'collected';
}

export function buildSummary(input: SummaryInput): CollectionSummary {
  const c = input.counters;
  const { durationMs } = input;
  const summary: Omit<CollectionSummary, 'outcome'> = {
    manager: input.manager,
    batching: input.batching,
    pragmas: input.pragmas,
    network: input.network,
    dbPath: input.dbPath,
    pools: input.pools,
    poolSource: input.poolSource,
    paidApi: input.paidApi,
    collectors: input.collectors,
    resumedPools: input.resumedPools,
    durationMs,
    startupMs: input.startupMs,
    polls: c.polls,
    requests: c.requests,
    throttled: c.throttled,
    succeeded: c.succeeded,
    ...(input.authRefused ? { authRefused: input.authRefused } : {}),
    fetched: c.fetched,
    stored: c.inserted + input.storedOnReplay,
    storedOnReplay: input.storedOnReplay,
    duplicates: c.repeats + c.storeDuplicates,
    repeats: c.repeats,
    storeDuplicates: c.storeDuplicates,
    rejected: c.rejected,
    tradesRejected: c.tradesRejected,
    rejectedByPool: (input.poolFigures ?? [])
      .filter((p) => (p.rejected ?? 0) > 0)
      .map((p) => ({ pool: p.pool, rejected: p.rejected ?? 0 })),
    conflicts: input.finalSnapshot?.writer.conflicts ?? 0,
    conflictsByPool: input.finalSnapshot?.writer.conflictsByPool ?? {},
    gaps: c.gaps,
    coverage: coverage(input.poolFigures ?? []),
    ...(input.schedule ? { budget: input.schedule } : {}),
    badResponses: c.badResponses,
    errors: c.errors,
    lockErrors: input.lock.lockErrors,
    busyRetries: input.lock.busyRetries,
    rowsPerSec: durationMs > 0 ? (c.inserted + input.storedOnReplay) / (durationMs / 1000) : 0,
    collectorFailures: input.failures,
    tradesInSpool: input.spooled.rows,
    spoolBatches: input.spooled.batches,
    ...(input.storageFailure
      ? { storageFailure: { ...input.storageFailure.failure, tradesLost: input.storageFailure.tradesLost } }
      : {}),
    counters: c,
    ...(input.simulator ? { simulator: input.simulator } : {}),
    ...(input.finalSnapshot ? { metrics: input.finalSnapshot } : {}),
    ...(input.metricsFile ? { metricsFile: input.metricsFile } : {}),
    ...(input.metricsUrl ? { metricsUrl: input.metricsUrl } : {}),
  };
  return { outcome: runOutcome(summary), ...summary };
}

function coverage(pools: readonly PoolFigures[]): CollectionSummary['coverage'] {
  const { made, stored, missed, basis, missedGaps, counterPools } = coverageOf(pools);
  return { made, stored, estimatedMissed: missed, basis, estimatedMissedGaps: missedGaps, counterPools };
}
