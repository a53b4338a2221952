// The pools phase of a collection run: which pools (given, watchlist, top N, the simulator's), their metadata
// stored (and the trade rates its counters tell: the schedule's prior), their cursors read, and how they are dealt
// to the collector threads (fixed groups on SQLite; leased one by one across processes on PostgreSQL).

import { linkSignals } from '../common/linked-signal.ts';
import { ConfigError } from '../errors.ts';
import { counterRates } from '../gecko/pool-counters.ts';
import type { ParsedPools } from '../gecko/pool-parser.ts';
import { CollectorCounters, type PoolAssignment, PoolLeaseCells } from '../protocol/collector-task.ts';
import type { TradesMark } from '../storage/collection-reads.ts';
import { distributePools } from './pool-assignments.ts';
import { fetchPoolMetadata, type SelectedPools, selectPools } from './pool-selection.ts';
import type { RunApi } from './run-api.ts';
import type { RunContext } from './run-context.ts';
import type { RunDatabase } from './run-database.ts';
import { RunPoolSet } from './run-pool-set.ts';

export interface RunPools {
  readonly selected: SelectedPools;
  /** Every pool of the run with its cursor, indexed in order. */
  readonly assignments: readonly PoolAssignment[];
  /** The pools of each collector thread (empty groups when pools are leased). */
  readonly groups: PoolAssignment[][];
  /** With leases: the cells telling which collector holds which pool. */
  readonly cells: PoolLeaseCells | undefined;
  /** The collectors' shared counters, one slot per group. */
  readonly counters: CollectorCounters;
  /** Pools that resume from a cursor of an earlier run. */
  readonly resumed: number;
  /** The simulator check's rowid mark, taken before any collector runs. */
  readonly mark: TradesMark | null;
  /** Time spent fetching metadata, which --duration counts. */
  readonly metadataMs: number;
  /** The metadata fetched at the start and when (its pools' `transactions` are the counters' first read). */
  readonly startCounters: { atMs: number; metadata: ParsedPools } | undefined;
  /** The pool set as it follows its sources while the run goes on (run-pool-set.ts). */
  readonly poolSet: RunPoolSet;
  /** Each pool's trade rate by the API's counters at the start (by address): the schedule's prior. */
  readonly priors: ReadonlyMap<string, number>;
}

/** The assignment with its pool's counter rate, if the start's metadata had one. */
export function withPrior(a: PoolAssignment, priors: ReadonlyMap<string, number>): PoolAssignment {
  const priorRate = priors.get(a.address);
  return priorRate === undefined ? a : { ...a, priorRate };
}

export async function preparePools(ctx: RunContext, api: RunApi, db: RunDatabase): Promise<RunPools> {
  const { options, settings, log } = ctx;
  const { client, network, simulator } = api;
  const selected = await selectPools(options, client, network, simulator, log, (n) => db.reads.readWatchlist(n));
  const { addresses, metadata } = selected;
  if (addresses.length === 0) throw new ConfigError('pools', [], 'the pool list is empty');
  // --duration counts the metadata fetch: an API that never answers must not hold the run past it.
  const metadataStarted = performance.now();
  let priors = new Map<string, number>();
  let startCounters: RunPools['startCounters'];
  if (options.poolMetadata ?? true) {
    const limit = linkSignals([
      options.signal,
      options.durationMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, options.durationMs)),
    ]);
    try {
      const fetched = metadata ?? (await fetchPoolMetadata(client, network, addresses, log, limit.signal));
      // The pools' trade counters as they stood at the start: the schedule's prior, and the counter-based
      // coverage's first read, free.
      const atMs = Date.now();
      startCounters = { atMs, metadata: fetched };
      priors = counterRates(fetched.pools, atMs);
      await db.writeMetadata(fetched);
    } finally {
      limit.dispose();
    }
  }
  const metadataMs = performance.now() - metadataStarted;
  // The rowid mark is taken before any collector runs: the simulator check tells this run's rows by it.
  const assignments = (await db.reads.loadPoolAssignments(network, addresses)).map((a, index) =>
    withPrior({ ...a, index }, priors),
  );
  const mark = simulator ? await db.reads.tradesMark() : null;
  const poolSet = new RunPoolSet({ options, network, selected, assignments, client, db, log });
  // Shared through leases (PostgreSQL), collectors start empty and get pools as this process leases them.
  const groups = db.shared
    ? Array.from({ length: Math.min(settings.collectorsWanted, assignments.length) }, (): PoolAssignment[] => [])
    : distributePools(assignments, settings.collectorsWanted);
  return {
    selected,
    assignments,
    groups,
    cells: db.shared ? new PoolLeaseCells(poolSet.capacity) : undefined,
    counters: new CollectorCounters(groups.length),
    resumed: assignments.filter((a) => a.cursor).length,
    mark,
    metadataMs,
    startCounters,
    poolSet,
    priors,
  };
}
