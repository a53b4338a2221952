// The candles `prune` kept for days whose trades are gone (ohlcv_candles, source 'trades'), read for `ohlcv`
// on a read-only SQLite connection, in pool, bucket order. A file without the table has none.

import type Database from 'better-sqlite3';
import type { StoredCandle } from '../retention-store.ts';
import type { WhereClause } from '../trade-rows.ts';

const text = (v: unknown): string => (v === null || v === undefined ? '0' : String(v));

/** `where`: the filter over pool_id and bucket_start (sqliteWhere's terms), before the source and timeframe. */
export function sqliteKeptCandles(db: Database.Database, timeframe: string, where: WhereClause): StoredCandle[] {
  const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ohlcv_candles'`).get();
  if (!has) return [];
  const rows = db
    .prepare(
      `SELECT pool_id, bucket_start, open, high, low, close, volume_usd, trades, buys, sells, buy_volume_usd,
              sell_volume_usd FROM ohlcv_candles ${where.sql ? `${where.sql} AND` : 'WHERE'} source = 'trades' AND timeframe = ?
       ORDER BY pool_id, bucket_start`,
    )
    .raw(true)
    .all(...where.params, timeframe) as unknown[][];
  return rows.map((r) => ({
    poolId: String(r[0]),
    timeframe,
    bucketStart: String(r[1]),
    open: text(r[2]),
    high: text(r[3]),
    low: text(r[4]),
    close: text(r[5]),
    volumeUsd: text(r[6]),
    trades: Number(r[7]),
    buys: Number(r[8]),
    sells: Number(r[9]),
    buyVolumeUsd: text(r[10]),
    sellVolumeUsd: text(r[11]),
  }));
}
