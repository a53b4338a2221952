// CollectionReads on an SQLite file: each pool's cursor and the ids stored near it, stored ids counted, the
// watchlist table; run on read-only connections (WAL lets them read beside the writer).

import type { Database, Statement } from 'better-sqlite3';
import { timestampMs } from '../../common/stored-time.ts';
import { poolIdOf } from '../../config/pool-addresses.ts';
import {
  DEFAULT_LATE_MARGIN_MS,
  DEFAULT_MAX_IDS,
  type PoolAssignment,
  type RecentTradeId,
  type StoredCursor,
} from '../../protocol/collector-task.ts';
import type { CollectionReads, LoadAssignmentsOptions, RecordedGap, TradesMark } from '../collection-reads.ts';
import { storedRate } from '../stored-values.ts';
import { isActive, type WatchlistPools, watchlistPools } from '../watchlist.ts';
import { simpleQueryLatencyMs } from './connection-settings.ts';
import { storedTimestamp } from './trade-statements.ts';

export type SqliteRead = <T>(fn: (db: Database) => T) => Promise<T>;

export function sqliteCollectionReads(read: SqliteRead, close: () => void): CollectionReads {
  return {
    engine: 'sqlite',
    loadPoolAssignments: (network, addresses, options) =>
      read((db) => loadPoolAssignments(db, network, addresses, options)),
    readWatchlist: (network) => read((db) => readWatchlistTable(db, network)),
    tradesMark: () => read((db): TradesMark => ({ kind: 'rowid', rowid: tradesRowidMark(db) })),
    countStoredIds: (ids, before) => {
      if (before && before.kind !== 'rowid') throw new TypeError('an SQLite trades mark is a rowid');
      const list = [...ids];
      return read((db) => countStoredIds(db, list, before?.rowid));
    },
    storedCountsIn: (poolId, ranges) => read((db) => storedCountsIn(db, poolId, ranges)),
    gapsSince: (sinceMs) => read((db) => gapsSince(db, sinceMs)),
    queryLatencyMs: () => read(simpleQueryLatencyMs),
    close: async () => close(),
  };
}

/** Each pool's cursor and the ids stored at or after `cursor - lateMarginMs` (bounded), from a read connection. */
export function loadPoolAssignments(
  db: Database,
  network: string,
  addresses: readonly string[],
  options: LoadAssignmentsOptions = {},
): PoolAssignment[] {
  const margin = options.lateMarginMs ?? DEFAULT_LATE_MARGIN_MS;
  const maxIds = options.maxIds ?? DEFAULT_MAX_IDS;
  const cursorStmt = db.prepare(
    'SELECT last_trade_id, last_trade_timestamp, trade_rate_per_s, rate_observed_at FROM collection_state WHERE pool_id = ?',
  );
  const recentStmt = db.prepare(
    'SELECT id, block_timestamp FROM trades WHERE pool_id = ? AND block_timestamp >= ? ORDER BY block_timestamp DESC LIMIT ?',
  );
  return addresses.map((address) => {
    const poolId = poolIdOf(network, address);
    const row = cursorStmt.get(poolId) as
      | {
          last_trade_id: string | null;
          last_trade_timestamp: string | null;
          trade_rate_per_s: number | null;
          rate_observed_at: string | null;
        }
      | undefined;
    let cursor: StoredCursor | null = null;
    let recentIds: RecentTradeId[] = [];
    const ms = row?.last_trade_timestamp ? timestampMs(row.last_trade_timestamp) : Number.NaN;
    if (row?.last_trade_id && row.last_trade_timestamp && Number.isFinite(ms)) {
      cursor = { lastTradeId: row.last_trade_id, lastTradeTimestamp: row.last_trade_timestamp };
      const rows = recentStmt.all(poolId, storedTimestamp(ms - margin), maxIds) as {
        id: string;
        block_timestamp: string;
      }[];
      recentIds = rows.map((r) => ({ id: r.id, timestamp: r.block_timestamp }));
    }
    const rate = storedRate(row?.trade_rate_per_s, row?.rate_observed_at);
    return { address, poolId, cursor, recentIds, ...(rate ? { rate } : {}) };
  });
}

/** How many of `ids` the trades table holds; with `maxRowid`, only rows at or below that rowid count. */
export function countStoredIds(db: Database, ids: Iterable<string>, maxRowid?: number): number {
  const all = [...ids];
  const CHUNK = 500;
  let found = 0;
  const byLength = new Map<number, Statement<(string | number)[], { n: number }>>();
  const below = maxRowid === undefined ? '' : ' AND rowid <= ?';
  for (let i = 0; i < all.length; i += CHUNK) {
    const chunk = all.slice(i, i + CHUNK);
    let stmt = byLength.get(chunk.length);
    if (!stmt) {
      stmt = db.prepare<(string | number)[], { n: number }>(
        `SELECT count(*) AS n FROM trades WHERE id IN (${chunk.map(() => '?').join(',')})${below}`,
      );
      byLength.set(chunk.length, stmt);
    }
    found += (maxRowid === undefined ? stmt.get(...chunk) : stmt.get(...chunk, maxRowid))?.n ?? 0;
  }
  return found;
}

/**
 * The highest rowid in the trades table (0 when empty). SQLite gives a new row the largest rowid so far plus
 * one, and trades are never deleted here, so rows at or below a mark taken before a run predate that run.
 */
export function tradesRowidMark(db: Database): number {
  return (db.prepare('SELECT coalesce(max(rowid), 0) AS m FROM trades').get() as { m: number }).m;
}

/** The database's `watchlist` table (the Python collector's, or one a user filled). */
export function readWatchlistTable(db: Database, network: string): WatchlistPools {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'watchlist'").get();
  if (!exists) return { addresses: [], inactive: 0, otherNetworks: {} };
  const rows = db.prepare('SELECT pool_id, is_active FROM watchlist ORDER BY id').all() as {
    pool_id: string;
    is_active: unknown;
  }[];
  return watchlistPools(
    rows.map((r) => ({
      poolId: r.pool_id,
      active: isActive(r.is_active),
    })),
    network,
    'watchlist',
  );
}

function storedCountsIn(db: Database, poolId: string, ranges: readonly (readonly [number, number])[]): number[] {
  const stmt = db
    .prepare('SELECT count(*) FROM trades WHERE pool_id = ? AND block_timestamp >= ? AND block_timestamp < ?')
    .pluck();
  return ranges.map(([from, to]) => Number(stmt.get(poolId, storedTimestamp(from), storedTimestamp(to))));
}

function gapsSince(db: Database, sinceMs: number): RecordedGap[] {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'collection_gaps'").get() === undefined) return [];
  const rows = db
    .prepare(
      // A batch delivered twice (a resend after a writer restart) may have recorded its gap twice.
      `SELECT pool_id, gap_start, gap_end, max(estimated_missed) AS estimated_missed FROM collection_gaps
       WHERE detected_at >= ? GROUP BY pool_id, gap_start, gap_end ORDER BY pool_id, gap_start`,
    )
    .all(storedTimestamp(sinceMs)) as {
    pool_id: string;
    gap_start: string;
    gap_end: string;
    estimated_missed: number | null;
  }[];
  return rows.map((r) => ({
    poolId: r.pool_id,
    fromMs: timestampMs(r.gap_start),
    toMs: timestampMs(r.gap_end),
    estimatedMissed: r.estimated_missed ?? 0,
  }));
}
