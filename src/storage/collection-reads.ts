// What the main thread reads from the trade database during a collection run, whichever store holds it: each
// pool's cursor and the ids stored near it, a mark that tells this run's trades from earlier ones, how many of
// a set of ids are stored, and a liveness probe. SQLite answers on read-only connections beside the writer
// (sqlite/collection-reads.ts), PostgreSQL on read-only sessions (postgres/collection-reads.ts).

import type { PoolAssignment } from '../protocol/collector-task.ts';
import type { WatchlistPools } from './watchlist.ts';

export interface LoadAssignmentsOptions {
  lateMarginMs?: number;
  maxIds?: number;
}

/**
 * Where the trades table stood at a moment: rows stored later are newer. SQLite: the highest rowid (never
 * reused, trades are never deleted); PostgreSQL: the server's clock (every row's created_at is its
 * transaction's start).
 */
export type TradesMark = { kind: 'rowid'; rowid: number } | { kind: 'time'; at: string };

/** A gap as recorded: its span (the cursor's and the answer's oldest block times, ms) and its estimate. */
export interface RecordedGap {
  poolId: string;
  fromMs: number;
  toMs: number;
  estimatedMissed: number;
}

export interface CollectionReads {
  readonly engine: 'sqlite' | 'postgres';
  /** Each pool's cursor and the ids stored at or after `cursor - lateMarginMs` (bounded). */
  loadPoolAssignments(
    network: string,
    addresses: readonly string[],
    options?: LoadAssignmentsOptions,
  ): Promise<PoolAssignment[]>;
  tradesMark(): Promise<TradesMark>;
  /** The active pools of `network` in the database's watchlist table (none when there is no such table). */
  readWatchlist(network: string): Promise<WatchlistPools>;
  /** How many of `ids` the trades table holds; with `before`, only rows stored before that mark. */
  countStoredIds(ids: Iterable<string>, before?: TradesMark): Promise<number>;
  /**
   * The pool's stored trades with from <= block time < to, for each [from, to] of `ranges` (ms, whole seconds):
   * the counter-based coverage compares them with the API's counts.
   */
  storedCountsIn(poolId: string, ranges: readonly (readonly [number, number])[]): Promise<number[]>;
  /** Gaps recorded at or after `sinceMs` (their detected_at). */
  gapsSince(sinceMs: number): Promise<RecordedGap[]>;
  /** Round trip of a trivial query on a reader (ms). */
  queryLatencyMs(): Promise<number>;
  close(): Promise<void>;
}
