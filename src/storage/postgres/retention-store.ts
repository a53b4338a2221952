// `prune`'s writes on PostgreSQL: a connection of its own, short transactions (a chunk of deletions, a chunk of
// candles) beside any collector writing meanwhile (row locks keep them apart). Space comes back the PostgreSQL
// way: a plain DELETE leaves dead rows that autovacuum reclaims for new trades; nothing here rewrites a table.

import type pg from 'pg';
import { DatabaseOpenError } from '../../errors.ts';
import type { PostgresSettings } from '../../protocol/writer-settings.ts';
import {
  type DayTrades,
  DELETE_CHUNK,
  groupDays,
  nextDay,
  type Reclaimed,
  type RetentionStore,
  type StoredCandle,
} from '../retention-store.ts';
import { connectPgOrFail } from './connection.ts';
import { appliedSchemaVersion } from './schema-migrations.ts';

const CANDLE_CHUNK = 1000;
const CANDLES_SINCE_VERSION = 4;
const CANDLE_COLUMNS = 14;

const UPSERT_TAIL = `ON CONFLICT (pool_id, timeframe, bucket_start, source) DO UPDATE SET
  high = greatest(ohlcv_candles.high, EXCLUDED.high), low = least(ohlcv_candles.low, EXCLUDED.low),
  close = EXCLUDED.close, volume_usd = ohlcv_candles.volume_usd + EXCLUDED.volume_usd,
  trades = ohlcv_candles.trades + EXCLUDED.trades, buys = ohlcv_candles.buys + EXCLUDED.buys,
  sells = ohlcv_candles.sells + EXCLUDED.sells,
  buy_volume_usd = ohlcv_candles.buy_volume_usd + EXCLUDED.buy_volume_usd,
  sell_volume_usd = ohlcv_candles.sell_volume_usd + EXCLUDED.sell_volume_usd, fetched_at = EXCLUDED.fetched_at`;

function candleInsert(rows: number): string {
  const values = Array.from({ length: rows }, (_, r) => {
    const p = (i: number) => `$${r * CANDLE_COLUMNS + i}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}::timestamptz, 'trades', ${p(4)}::numeric, ${p(5)}::numeric, ${p(6)}::numeric,
      ${p(7)}::numeric, ${p(8)}::numeric, ${p(9)}::int, ${p(10)}::int, ${p(11)}::int, ${p(12)}::numeric,
      ${p(13)}::numeric, ${p(14)}::timestamptz)`;
  });
  return `INSERT INTO ohlcv_candles (pool_id, timeframe, bucket_start, source, open, high, low, close, volume_usd,
  trades, buys, sells, buy_volume_usd, sell_volume_usd, fetched_at) VALUES ${values.join(', ')} ${UPSERT_TAIL}`;
}

export async function pgRetentionStore(settings: PostgresSettings): Promise<RetentionStore> {
  const c: pg.Client = await connectPgOrFail(settings, { purpose: 'prune', statementTimeoutMs: 0 });
  const version = await appliedSchemaVersion(c);
  if (version < CANDLES_SINCE_VERSION) {
    await c.end();
    throw new DatabaseOpenError(
      `${settings.display} is at schema version ${version}: run collect (or import) on it once so it gets the candles table prune keeps`,
    );
  }
  const inTransaction = async <T>(fn: () => Promise<T>): Promise<T> => {
    await c.query('BEGIN');
    try {
      const out = await fn();
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  return {
    display: settings.display,
    async days(cutoff: string, storedBefore: string): Promise<DayTrades[]> {
      const r = await c.query<{ day: string; pool: string; n: number }>(
        `SELECT to_char(block_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, pool_id AS pool, count(*)::int AS n
         FROM trades WHERE block_timestamp < $1::timestamptz
           AND id NOT IN (SELECT last_trade_id FROM collection_state WHERE last_trade_id IS NOT NULL)
           AND (created_at IS NULL OR created_at < $2::timestamptz)
         GROUP BY day, pool_id ORDER BY day, pool_id`,
        [`${cutoff}T00:00:00Z`, storedBefore],
      );
      return groupDays(r.rows);
    },
    async cursorTradeIds(): Promise<Set<string>> {
      const r = await c.query<{ id: string }>(
        'SELECT last_trade_id AS id FROM collection_state WHERE last_trade_id IS NOT NULL',
      );
      return new Set(r.rows.map((x) => x.id));
    },
    async keepCandles(candles: readonly StoredCandle[]): Promise<void> {
      const now = new Date().toISOString();
      for (let i = 0; i < candles.length; i += CANDLE_CHUNK) {
        const chunk = candles.slice(i, i + CANDLE_CHUNK);
        const values = chunk.flatMap((k) => [
          k.poolId,
          k.timeframe,
          `${k.bucketStart.replace(' ', 'T')}Z`,
          k.open,
          k.high,
          k.low,
          k.close,
          k.volumeUsd,
          k.trades,
          k.buys,
          k.sells,
          k.buyVolumeUsd,
          k.sellVolumeUsd,
          now,
        ]);
        await inTransaction(() => c.query(candleInsert(chunk.length), values));
      }
    },
    async deleteDay(poolId, day, storedBefore, keep, onChunk): Promise<number> {
      let deleted = 0;
      for (;;) {
        const r = await inTransaction(() =>
          c.query(
            `DELETE FROM trades WHERE ctid = ANY(ARRAY(SELECT ctid FROM trades
               WHERE pool_id = $1 AND block_timestamp >= $2::timestamptz AND block_timestamp < $3::timestamptz
                 AND (created_at IS NULL OR created_at < $4::timestamptz) AND NOT (id = ANY($5::text[])) LIMIT $6))`,
            [poolId, `${day}T00:00:00Z`, `${nextDay(day)}T00:00:00Z`, storedBefore, keep, DELETE_CHUNK],
          ),
        );
        const n = r.rowCount ?? 0;
        if (n === 0) return deleted;
        deleted += n;
        onChunk?.(deleted);
      }
    },
    async reclaim(): Promise<Reclaimed> {
      return {
        freedPages: 0,
        freedBytes: 0,
        message: 'PostgreSQL: the deleted rows are dead tuples now; autovacuum makes their space reusable',
      };
    },
    async close(): Promise<void> {
      await c.end().catch(() => undefined);
    },
  };
}
