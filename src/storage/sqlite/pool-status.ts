// The status view's per-pool reads on an SQLite file, on a read-only connection of its own: the cursor rows,
// then per pool a few index range reads (idx_trades_pool_time): the last 10 minutes, and the hours of the last
// day (the past ones reused for a few minutes, HourlyCountCache).

import type Database from 'better-sqlite3';
import { timestampMs } from '../../common/stored-time.ts';
import { HourlyCountCache, type PoolStatusReads, type PoolStatusRow, RECENT_MS } from '../pool-status.ts';
import { openReadOnly } from './read-only-database.ts';

/** A time as the trades table stores it (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), for range reads. */
function storedTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');
}

const msOrNull = (v: unknown): number | null => {
  if (typeof v !== 'string') return null;
  const ms = timestampMs(v);
  return Number.isFinite(ms) ? ms : null;
};

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set(
    (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name),
  );
}

/** Reads one pool's figures at `nowMs`. */
function readPools(db: Database.Database, nowMs: number, cache: HourlyCountCache): PoolStatusRow[] {
  const state = columnsOf(db, 'collection_state');
  if (state.size === 0) return [];
  const gapsCols = columnsOf(db, 'collection_gaps');
  const scheduled = state.has('poll_interval_ms');
  const hasPools = columnsOf(db, 'pools').has('name');
  const rows = db
    .prepare(
      `SELECT s.pool_id AS poolId, s.last_polled_at AS polled,
              ${scheduled ? 's.poll_interval_ms' : 'NULL'} AS interval, ${scheduled ? 's.trade_rate_per_s' : 'NULL'} AS rate,
              ${hasPools ? 'p.name' : 'NULL'} AS name
       FROM collection_state s ${hasPools ? 'LEFT JOIN pools p ON p.id = s.pool_id' : ''}
       ORDER BY s.pool_id`,
    )
    .all() as { poolId: string; polled: unknown; interval: number | null; rate: number | null; name: unknown }[];
  const last = db.prepare('SELECT max(block_timestamp) AS t FROM trades WHERE pool_id = ?').pluck();
  const recent = db.prepare('SELECT count(*) FROM trades WHERE pool_id = ? AND block_timestamp >= ?').pluck();
  const hours = db.prepare(
    `SELECT substr(block_timestamp, 1, 13) AS h, count(*) AS n FROM trades
     WHERE pool_id = ? AND block_timestamp >= ? GROUP BY h`,
  );
  const open = gapsCols.has('filled_at') ? 'AND filled_at IS NULL' : '';
  const estimate = gapsCols.has('estimated_missed') ? 'estimated_missed' : 'NULL';
  const gaps = gapsCols.size
    ? db.prepare(
        `SELECT count(*) AS n, sum(${estimate}) AS missed, count(${estimate}) AS estimated
         FROM collection_gaps WHERE pool_id = ? ${open}`,
      )
    : undefined;
  const recentFrom = storedTime(nowMs - RECENT_MS);
  return rows.map((r) => {
    const g = gaps?.get(r.poolId) as { n: number; missed: number | null; estimated: number } | undefined;
    const perHour = hours.all(r.poolId, storedTime(cache.plan(r.poolId, nowMs).fromMs)) as { h: string; n: number }[];
    return {
      poolId: r.poolId,
      name: typeof r.name === 'string' ? r.name : null,
      lastTradeMs: msOrNull(last.get(r.poolId)),
      lastPolledMs: msOrNull(r.polled),
      recentTrades: Number(recent.get(r.poolId, recentFrom)),
      pollIntervalMs: r.interval ?? null,
      tradeRatePerS: r.rate ?? null,
      openGaps: g?.n ?? 0,
      estimatedMissed: !g || g.n === 0 ? 0 : g.estimated === g.n ? (g.missed ?? 0) : null,
      hourly: cache.counts(
        r.poolId,
        nowMs,
        perHour.map((x) => [Date.parse(`${x.h}:00:00Z`.replace(' ', 'T')), x.n] as const),
      ),
    };
  });
}

/** Opens `path` read-only (never created) for the status view. */
export function sqlitePoolStatusReads(path: string): PoolStatusReads {
  const db = openReadOnly(path);
  const cache = new HourlyCountCache();
  return {
    engine: 'sqlite',
    readPools: async (nowMs) => readPools(db, nowMs, cache),
    close: async () => {
      db.close();
    },
  };
}
