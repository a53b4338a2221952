// The status view's per-pool reads on PostgreSQL, in read-only sessions of a small pool of their own: the
// cursor rows joined with each pool's newest trade, recent and hourly counts (idx_trades_pool_time; past hours
// reused for a few minutes, HourlyCountCache) and open gaps.

import type { PostgresSettings } from '../../protocol/writer-settings.ts';
import { HourlyCountCache, type PoolStatusReads, type PoolStatusRow, RECENT_MS } from '../pool-status.ts';
import { pgReadPool } from './collection-reads.ts';

const POOLS_SQL = `
SELECT s.pool_id, p.name, s.last_polled_at, s.poll_interval_ms, s.trade_rate_per_s,
       (SELECT max(t.block_timestamp) FROM trades t WHERE t.pool_id = s.pool_id) AS last_trade,
       (SELECT count(*) FROM trades t WHERE t.pool_id = s.pool_id AND t.block_timestamp >= $1) AS recent,
       (SELECT count(*) FROM collection_gaps g WHERE g.pool_id = s.pool_id AND g.filled_at IS NULL) AS open_gaps,
       (SELECT count(g.estimated_missed) FROM collection_gaps g
         WHERE g.pool_id = s.pool_id AND g.filled_at IS NULL) AS estimated,
       (SELECT coalesce(sum(g.estimated_missed), 0) FROM collection_gaps g
         WHERE g.pool_id = s.pool_id AND g.filled_at IS NULL) AS missed
FROM collection_state s LEFT JOIN pools p ON p.id = s.pool_id
ORDER BY s.pool_id`;

// Each pool from its own start: the whole day, or only the current hour when its past hours are reused.
const HOURS_SQL = `
SELECT t.pool_id, extract(epoch FROM date_trunc('hour', t.block_timestamp)) * 1000 AS h, count(*) AS n
FROM unnest($1::text[], $2::timestamptz[]) AS p(pool_id, since)
JOIN trades t ON t.pool_id = p.pool_id AND t.block_timestamp >= p.since
GROUP BY 1, 2`;

interface PoolRow {
  pool_id: string;
  name: string | null;
  last_polled_at: Date | null;
  poll_interval_ms: number | null;
  trade_rate_per_s: number | null;
  last_trade: Date | null;
  recent: string;
  open_gaps: string;
  estimated: string;
  missed: number;
}

export function pgPoolStatusReads(settings: PostgresSettings): PoolStatusReads {
  const pool = pgReadPool(settings, 1, 'status');
  const cache = new HourlyCountCache();
  return {
    engine: 'postgres',
    async readPools(nowMs): Promise<PoolStatusRow[]> {
      const { rows } = await pool.query<PoolRow>(POOLS_SQL, [new Date(nowMs - RECENT_MS)]);
      const ids = rows.map((r) => r.pool_id);
      const hours = await pool.query<{ pool_id: string; h: string; n: string }>(HOURS_SQL, [
        ids,
        ids.map((id) => new Date(cache.plan(id, nowMs).fromMs)),
      ]);
      const byPool = new Map<string, [number, number][]>();
      for (const h of hours.rows) {
        const list = byPool.get(h.pool_id) ?? [];
        list.push([Number(h.h), Number(h.n)]);
        byPool.set(h.pool_id, list);
      }
      return rows.map((r) => {
        const open = Number(r.open_gaps);
        return {
          poolId: r.pool_id,
          name: r.name,
          lastTradeMs: r.last_trade ? r.last_trade.getTime() : null,
          lastPolledMs: r.last_polled_at ? r.last_polled_at.getTime() : null,
          recentTrades: Number(r.recent),
          pollIntervalMs: r.poll_interval_ms,
          tradeRatePerS: r.trade_rate_per_s,
          openGaps: open,
          estimatedMissed: open === 0 ? 0 : Number(r.estimated) === open ? Number(r.missed) : null,
          hourly: cache.counts(r.pool_id, nowMs, byPool.get(r.pool_id) ?? []),
        };
      });
    },
    close: () => pool.end(),
  };
}
