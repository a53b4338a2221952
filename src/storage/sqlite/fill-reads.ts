// FillReads on an SQLite file, on a read-only connection: open gaps, cursors and stored spans, bucket volumes.

import type { Database } from 'better-sqlite3';
import type { Timeframe } from '../../gecko/timeframes.ts';
import type { BucketVolume, FillReads, KeptCandle, LatestReconcile, OpenGap, PoolSpan } from '../fill-reads.ts';
import { sqliteWhere } from './export-rows.ts';

const has = (db: Database, table: string) =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(table) !== undefined;

/** `YYYY-MM-DD HH:MM:SS` of unix seconds: the views' bucket_start text. */
function bucketText(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

const toSec = (text: string) => Date.parse(`${text.slice(0, 19).replace(' ', 'T')}Z`) / 1000;

export function sqliteFillReads(db: Database): FillReads {
  return {
    engine: 'sqlite',
    async openGaps(poolIds) {
      if (!has(db, 'collection_gaps')) return [];
      const rows = db
        .prepare(
          `SELECT pool_id AS poolId, gap_start AS gapStart, gap_end AS gapEnd, fill_error AS fillError,
             max(estimated_missed) AS estimatedMissed, max(detected_at) AS detectedAt,
             max(coalesce(filled_trades, 0)) AS filledTrades
           FROM collection_gaps WHERE filled_at IS NULL
           GROUP BY pool_id, gap_start, gap_end ORDER BY gap_start, pool_id`,
        )
        .all() as OpenGap[];
      return poolIds ? rows.filter((g) => poolIds.includes(g.poolId)) : rows;
    },
    async poolSpans(prefix) {
      const cursors = has(db, 'collection_state')
        ? (db.prepare('SELECT pool_id, last_trade_timestamp FROM collection_state').all() as {
            pool_id: string;
            last_trade_timestamp: string | null;
          }[])
        : [];
      const ids = new Set<string>(cursors.map((c) => c.pool_id));
      for (const id of db.prepare('SELECT id FROM pools').pluck().all() as string[]) ids.add(id);
      const span = db.prepare(
        'SELECT min(block_timestamp) AS first, max(block_timestamp) AS last FROM trades WHERE pool_id = ?',
      );
      const cursorOf = new Map(cursors.map((c) => [c.pool_id, c.last_trade_timestamp]));
      const out: PoolSpan[] = [];
      for (const poolId of [...ids].sort()) {
        if (!poolId.startsWith(prefix)) continue;
        const s = span.get(poolId) as { first: string | null; last: string | null };
        const cursorTimestamp = cursorOf.get(poolId) ?? null;
        if (s.first === null && cursorTimestamp === null) continue;
        out.push({ poolId, cursorTimestamp, firstTrade: s.first, lastTrade: s.last });
      }
      return out;
    },
    async storedBuckets(poolId, timeframe, fromSec, toSec_) {
      return buckets(
        db,
        `SELECT bucket_start AS b, volume_usd AS v, trades AS n FROM ohlcv_${timeframe}
         WHERE pool_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start`,
        poolId,
        fromSec,
        toSec_,
      );
    },
    async apiBuckets(poolId, timeframe, fromSec, toSec_) {
      return buckets(
        db,
        `SELECT bucket_start AS b, volume_usd AS v, 0 AS n FROM ohlcv_candles
         WHERE pool_id = ? AND timeframe = '${timeframe satisfies Timeframe}' AND source = 'api'
           AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start`,
        poolId,
        fromSec,
        toSec_,
      );
    },
    async keptApiCandles(timeframe, filter) {
      if (!has(db, 'ohlcv_candles')) return [];
      const where = sqliteWhere(filter);
      const rows = db
        .prepare(
          `SELECT pool_id, bucket_start, open, high, low, close, volume_usd FROM ohlcv_candles
           ${where.sql.replaceAll('block_timestamp', 'bucket_start')}
           ${where.sql ? 'AND' : 'WHERE'} source = 'api' AND timeframe = ?
           ORDER BY pool_id, bucket_start`,
        )
        .raw()
        .all(...where.params, timeframe satisfies Timeframe) as unknown[][];
      return rows.map(
        (r): KeptCandle => ({
          poolId: r[0] as string,
          bucketStart: (r[1] as string).slice(0, 19),
          open: String(r[2]),
          high: String(r[3]),
          low: String(r[4]),
          close: String(r[5]),
          volumeUsd: String(r[6]),
        }),
      );
    },
    async latestReconciles() {
      if (!has(db, 'reconcile_runs')) return [];
      return db
        .prepare(
          `SELECT r.pool_id AS poolId, r.timeframe, r.reconciled_at AS reconciledAt, r.span_start AS spanStart,
             r.span_end AS spanEnd, r.api_volume_usd AS apiVolumeUsd, r.stored_volume_usd AS storedVolumeUsd,
             r.completeness, r.buckets, r.short_buckets AS shortBuckets, r.threshold, r.min_volume_usd AS minVolumeUsd
           FROM reconcile_runs r
           JOIN (SELECT pool_id, max(reconciled_at) AS at FROM reconcile_runs GROUP BY pool_id) l
             ON l.pool_id = r.pool_id AND l.at = r.reconciled_at
           ORDER BY r.pool_id, r.timeframe`,
        )
        .all() as LatestReconcile[];
    },
    close: async () => {
      db.close();
    },
  };
}

function buckets(db: Database, sql: string, poolId: string, fromSec: number, toSec_: number): BucketVolume[] {
  const rows = db.prepare(sql).all(poolId, bucketText(fromSec), bucketText(toSec_)) as {
    b: string;
    v: number;
    n: number;
  }[];
  return rows.map((r) => ({ startSec: toSec(r.b), volumeUsd: r.v, trades: r.n }));
}
