// CollectionReads on PostgreSQL: a small pool of read-only sessions (default_transaction_read_only, so nothing
// but the writer thread ever writes), answering with one round trip per question.

import pg from 'pg';
import { poolIdOf } from '../../config/pool-addresses.ts';
import {
  DEFAULT_LATE_MARGIN_MS,
  DEFAULT_MAX_IDS,
  type PoolAssignment,
  type RecentTradeId,
} from '../../protocol/collector-task.ts';
import type { StoredRate } from '../../protocol/pool-schedule.ts';
import type { PostgresSettings } from '../../protocol/writer-settings.ts';
import type { CollectionReads, RecordedGap, TradesMark } from '../collection-reads.ts';
import { storedRate } from '../stored-values.ts';
import { isActive, watchlistPools } from '../watchlist.ts';
import { pgClientConfig } from './connection.ts';
import { storedText } from './trade-statements.ts';

const ASSIGNMENTS_SQL = `SELECT s.pool_id, s.last_trade_id, ${storedText('s.last_trade_timestamp')} AS cursor_ts,
       s.trade_rate_per_s AS rate, ${storedText('s.rate_observed_at')} AS rate_at,
       r.id, ${storedText('r.block_timestamp')} AS ts
FROM collection_state s
LEFT JOIN LATERAL (
  SELECT t.id, t.block_timestamp FROM trades t
  WHERE t.pool_id = s.pool_id AND t.block_timestamp >= s.last_trade_timestamp - $2::int * interval '1 millisecond'
  ORDER BY t.block_timestamp DESC LIMIT $3
) r ON true
WHERE s.pool_id = ANY($1::text[]) AND s.last_trade_id IS NOT NULL AND s.last_trade_timestamp IS NOT NULL`;

const COUNT_CHUNK = 10_000;

/** A pg.Pool of read-only sessions; `max` connections at most. */
export function pgReadPool(settings: PostgresSettings, max: number, purpose = 'reader'): pg.Pool {
  const pool = new pg.Pool({ ...pgClientConfig(settings, { purpose, readOnly: true }), max: Math.max(1, max) });
  // An idle pooled connection the server drops (restart, pg_terminate_backend) is discarded by the pool;
  // without this listener that event would end the process.
  pool.on('error', () => undefined);
  return pool;
}

export function pgCollectionReads(settings: PostgresSettings, maxConnections: number): CollectionReads {
  const pool = pgReadPool(settings, maxConnections);
  return {
    engine: 'postgres',
    async loadPoolAssignments(network, addresses, options = {}) {
      const margin = options.lateMarginMs ?? DEFAULT_LATE_MARGIN_MS;
      const maxIds = options.maxIds ?? DEFAULT_MAX_IDS;
      const ids = addresses.map((a) => poolIdOf(network, a));
      const { rows } = await pool.query<{
        pool_id: string;
        last_trade_id: string;
        cursor_ts: string;
        rate: number | null;
        rate_at: string | null;
        id: string | null;
        ts: string | null;
      }>(ASSIGNMENTS_SQL, [ids, Math.round(margin), maxIds]);
      const byPool = new Map<
        string,
        { cursor: { lastTradeId: string; lastTradeTimestamp: string }; recent: RecentTradeId[]; rate?: StoredRate }
      >();
      for (const r of rows) {
        let entry = byPool.get(r.pool_id);
        if (!entry) {
          const rate = storedRate(r.rate, r.rate_at);
          entry = {
            cursor: { lastTradeId: r.last_trade_id, lastTradeTimestamp: r.cursor_ts },
            recent: [],
            ...(rate ? { rate } : {}),
          };
          byPool.set(r.pool_id, entry);
        }
        if (r.id !== null && r.ts !== null) entry.recent.push({ id: r.id, timestamp: r.ts });
      }
      return addresses.map((address, i): PoolAssignment => {
        const poolId = ids[i]!;
        const found = byPool.get(poolId);
        return {
          address,
          poolId,
          cursor: found?.cursor ?? null,
          recentIds: found?.recent ?? [],
          ...(found?.rate ? { rate: found.rate } : {}),
        };
      });
    },
    async readWatchlist(network) {
      const { rows } = await pool.query<{ pool_id: string; is_active: unknown }>(
        'SELECT pool_id, is_active FROM watchlist ORDER BY id',
      );
      return watchlistPools(
        rows.map((r) => ({ poolId: r.pool_id, active: isActive(r.is_active) })),
        network,
        'watchlist',
      );
    },
    async tradesMark(): Promise<TradesMark> {
      const { rows } = await pool.query<{ at: string }>('SELECT clock_timestamp()::text AS at');
      return { kind: 'time', at: rows[0]!.at };
    },
    async countStoredIds(ids, before) {
      if (before && before.kind !== 'time') throw new TypeError('a PostgreSQL trades mark is a time');
      const all = [...ids];
      let found = 0;
      for (let i = 0; i < all.length; i += COUNT_CHUNK) {
        const chunk = all.slice(i, i + COUNT_CHUNK);
        const { rows } = before
          ? await pool.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM trades WHERE id = ANY($1::text[]) AND created_at < $2::timestamptz',
              [chunk, before.at],
            )
          : await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM trades WHERE id = ANY($1::text[])', [
              chunk,
            ]);
        found += rows[0]?.n ?? 0;
      }
      return found;
    },
    async storedCountsIn(poolId, ranges) {
      if (ranges.length === 0) return [];
      const lo = ranges.map(([from]) => new Date(from).toISOString());
      const hi = ranges.map(([, to]) => new Date(to).toISOString());
      const { rows } = await pool.query<{ n: number }>(
        `SELECT (SELECT count(*)::int FROM trades t
                 WHERE t.pool_id = $1 AND t.block_timestamp >= b.lo AND t.block_timestamp < b.hi) AS n
         FROM unnest($2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS b(lo, hi, i) ORDER BY b.i`,
        [poolId, lo, hi],
      );
      return rows.map((r) => r.n);
    },
    async gapsSince(sinceMs): Promise<RecordedGap[]> {
      const { rows } = await pool.query<{ pool_id: string; from_ms: string; to_ms: string; est: number | null }>(
        // A batch delivered twice (a resend after a writer restart) may have recorded its gap twice, as on SQLite.
        `SELECT pool_id, (extract(epoch FROM gap_start) * 1000)::bigint::text AS from_ms,
                (extract(epoch FROM gap_end) * 1000)::bigint::text AS to_ms, max(estimated_missed) AS est
         FROM collection_gaps WHERE detected_at >= $1::timestamptz
         GROUP BY pool_id, gap_start, gap_end ORDER BY pool_id, gap_start`,
        [new Date(sinceMs).toISOString()],
      );
      return rows.map((r) => ({
        poolId: r.pool_id,
        fromMs: Number(r.from_ms),
        toMs: Number(r.to_ms),
        estimatedMissed: Number(r.est ?? 0),
      }));
    },
    async queryLatencyMs() {
      const t0 = performance.now();
      await pool.query('SELECT 1');
      return performance.now() - t0;
    },
    close: () => pool.end(),
  };
}
