// FillReads on PostgreSQL, on a read-only session: open gaps, cursors and stored spans, bucket volumes.

import type pg from 'pg';
import type { Timeframe } from '../../gecko/timeframes.ts';
import type { BucketVolume, FillReads, KeptCandle, LatestReconcile, OpenGap, PoolSpan } from '../fill-reads.ts';
import { pgWhere } from './export-rows.ts';
import { storedText } from './trade-statements.ts';

async function buckets(
  client: pg.ClientBase,
  sql: string,
  poolId: string,
  fromSec: number,
  toSec: number,
): Promise<BucketVolume[]> {
  const r = await client.query<{ b: string; v: number; n: number }>(sql, [poolId, fromSec, toSec]);
  return r.rows.map((row) => ({ startSec: Number(row.b), volumeUsd: row.v, trades: row.n }));
}

export function pgFillReads(client: pg.Client): FillReads {
  return {
    engine: 'postgres',
    async openGaps(poolIds) {
      const r = await client.query<OpenGap>(
        `SELECT pool_id AS "poolId", ${storedText('gap_start')} AS "gapStart", ${storedText('gap_end')} AS "gapEnd",
           fill_error AS "fillError", estimated_missed AS "estimatedMissed", ${storedText('detected_at')} AS "detectedAt",
           coalesce(filled_trades, 0) AS "filledTrades"
         FROM collection_gaps WHERE filled_at IS NULL AND ($1::text[] IS NULL OR pool_id = ANY($1))
         ORDER BY gap_start, pool_id`,
        [poolIds ? [...poolIds] : null],
      );
      return r.rows;
    },
    async poolSpans(prefix) {
      const r = await client.query<PoolSpan>(
        `WITH ids AS (SELECT pool_id FROM collection_state UNION SELECT id FROM pools)
         SELECT ids.pool_id AS "poolId", ${storedText('s.last_trade_timestamp')} AS "cursorTimestamp",
           ${storedText('t.first')} AS "firstTrade", ${storedText('t.last')} AS "lastTrade"
         FROM ids
         LEFT JOIN collection_state s ON s.pool_id = ids.pool_id
         CROSS JOIN LATERAL (SELECT min(block_timestamp) AS first, max(block_timestamp) AS last
                             FROM trades WHERE trades.pool_id = ids.pool_id) t
         WHERE starts_with(ids.pool_id, $1) AND (t.first IS NOT NULL OR s.last_trade_timestamp IS NOT NULL)
         ORDER BY ids.pool_id COLLATE "C"`,
        [prefix],
      );
      return r.rows;
    },
    storedBuckets(poolId, timeframe, fromSec, toSec) {
      return buckets(
        client,
        `SELECT extract(epoch FROM bucket_start)::bigint AS b, volume_usd::float8 AS v, trades::int AS n
         FROM ohlcv_${timeframe satisfies Timeframe}
         WHERE pool_id = $1 AND bucket_start >= to_timestamp($2) AND bucket_start < to_timestamp($3)
         ORDER BY bucket_start`,
        poolId,
        fromSec,
        toSec,
      );
    },
    apiBuckets(poolId, timeframe, fromSec, toSec) {
      return buckets(
        client,
        `SELECT extract(epoch FROM bucket_start)::bigint AS b, volume_usd::float8 AS v, 0 AS n FROM ohlcv_candles
         WHERE pool_id = $1 AND timeframe = '${timeframe satisfies Timeframe}' AND source = 'api'
           AND bucket_start >= to_timestamp($2) AND bucket_start < to_timestamp($3)
         ORDER BY bucket_start`,
        poolId,
        fromSec,
        toSec,
      );
    },
    async keptApiCandles(timeframe, filter) {
      const where = pgWhere(filter, 2);
      const r = await client.query<KeptCandle>(
        `SELECT pool_id AS "poolId", to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS "bucketStart",
           open::text AS open, high::text AS high, low::text AS low, close::text AS close,
           volume_usd::text AS "volumeUsd"
         FROM ohlcv_candles ${where.sql.replaceAll('block_timestamp', 'bucket_start')}
         ${where.sql ? 'AND' : 'WHERE'} source = 'api' AND timeframe = $1
         ORDER BY pool_id COLLATE "C", bucket_start`,
        [timeframe satisfies Timeframe, ...where.params],
      );
      return r.rows;
    },
    async latestReconciles() {
      const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('reconcile_runs')::text AS t`);
      if (!exists.rows[0]?.t) return [];
      const r = await client.query<LatestReconcile>(
        `SELECT pool_id AS "poolId", timeframe, ${storedText('reconciled_at')} AS "reconciledAt",
           ${storedText('span_start')} AS "spanStart", ${storedText('span_end')} AS "spanEnd",
           api_volume_usd AS "apiVolumeUsd", stored_volume_usd AS "storedVolumeUsd", completeness, buckets,
           short_buckets AS "shortBuckets", threshold, min_volume_usd AS "minVolumeUsd"
         FROM reconcile_runs r
         WHERE reconciled_at = (SELECT max(reconciled_at) FROM reconcile_runs l WHERE l.pool_id = r.pool_id)
         ORDER BY pool_id COLLATE "C", timeframe`,
      );
      return r.rows;
    },
    close: () => client.end(),
  };
}
