// The candles `prune` kept for days whose trades are gone (ohlcv_candles, source 'trades'), read for `ohlcv`
// on a read-only SQLite connection, in pool, bucket order. A file without the table has none.

import type Database from 'better-sqlite3';
import type { StoredCandle } from '../retention-store.ts';
import type { TradeFilter } from '../trade-rows.ts';
import { storedTimestamp } from './trade-statements.ts';

const text = (v: unknown): string => (v === null || v === undefined ? '0' : String(v));

export function sqliteKeptCandles(db: Database.Database, timeframe: string, f: TradeFilter): StoredCandle[] {
  const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ohlcv_candles'`).get();
  if (!has) return [];
  const terms = [`source = 'trades'`, 'timeframe = ?'];
  const params: unknown[] = [timeframe];
  if (f.poolIds?.length) {
    terms.push(`pool_id IN (${f.poolIds.map(() => '?').join(', ')})`);
    params.push(...f.poolIds);
  }
  if (f.network !== undefined) {
    terms.push('pool_id >= ? AND pool_id < ?');
    params.push(`${f.network}_`, `${f.network}\``);
  }
  // bucket_start is `YYYY-MM-DD HH:MM:SS`: compared with the stored time text, its second is what counts.
  if (f.since) {
    terms.push('bucket_start >= ?');
    params.push(storedTimestamp(f.since.getTime()).slice(0, 19));
  }
  if (f.until) {
    terms.push('bucket_start < ?');
    params.push(storedTimestamp(f.until.getTime()).slice(0, 19));
  }
  const rows = db
    .prepare(
      `SELECT pool_id, bucket_start, open, high, low, close, volume_usd, trades, buys, sells, buy_volume_usd,
              sell_volume_usd FROM ohlcv_candles WHERE ${terms.join(' AND ')} ORDER BY pool_id, bucket_start`,
    )
    .raw(true)
    .all(...params) as unknown[][];
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
