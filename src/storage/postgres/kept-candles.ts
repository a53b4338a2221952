// The candles `prune` kept for days whose trades are gone (ohlcv_candles, source 'trades'), read for `ohlcv`
// on PostgreSQL, in pool, bucket order; numeric values as their exact text. A schema without the table has none.

import type pg from 'pg';
import type { StoredCandle } from '../retention-store.ts';
import type { TradeFilter } from '../trade-rows.ts';

export async function pgKeptCandles(client: pg.Client, timeframe: string, f: TradeFilter): Promise<StoredCandle[]> {
  const has = await client.query(`SELECT to_regclass('ohlcv_candles') IS NOT NULL AS ok`);
  if (!(has.rows[0] as { ok: boolean }).ok) return [];
  const terms = [`source = 'trades'`, 'timeframe = $1'];
  const params: unknown[] = [timeframe];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.poolIds?.length) terms.push(`pool_id = ANY(${p([...f.poolIds])}::text[])`);
  if (f.network !== undefined) terms.push(`starts_with(pool_id, ${p(`${f.network}_`)})`);
  if (f.since) terms.push(`bucket_start >= ${p(f.since.toISOString())}::timestamptz`);
  if (f.until) terms.push(`bucket_start < ${p(f.until.toISOString())}::timestamptz`);
  const r = await client.query<Record<string, string | number>>(
    `SELECT pool_id, to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS bucket, open::text, high::text,
            low::text, close::text, volume_usd::text, trades, buys, sells, buy_volume_usd::text, sell_volume_usd::text
     FROM ohlcv_candles WHERE ${terms.join(' AND ')} ORDER BY pool_id, bucket_start`,
    params,
  );
  return r.rows.map((x) => ({
    poolId: String(x.pool_id),
    timeframe,
    bucketStart: String(x.bucket),
    open: String(x.open),
    high: String(x.high),
    low: String(x.low),
    close: String(x.close),
    volumeUsd: String(x.volume_usd),
    trades: Number(x.trades),
    buys: Number(x.buys),
    sells: Number(x.sells),
    buyVolumeUsd: String(x.buy_volume_usd),
    sellVolumeUsd: String(x.sell_volume_usd),
  }));
}
