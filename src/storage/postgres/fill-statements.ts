// The PostgreSQL writer's statements for backfill and reconcile records: a gap marked filled (or its fill error),
// a candle kept in ohlcv_candles, a reconcile result in reconcile_runs. Run inside the writer's transaction.

import type { WriteBatchMessage } from '../../protocol/messages.ts';
import type { CandleRecord, GapFillRecord, ReconcileRecord } from '../../protocol/records.ts';
import { normalizeTimestamp } from '../../trades/trade-validation.ts';

function utc(value: string, field: string): string {
  const n = typeof value === 'string' ? normalizeTimestamp(value) : null;
  if (n === null) throw new TypeError(`${field} ${JSON.stringify(value)} is not a valid date-time`);
  return n;
}

/** Whether the batch carries any of these records (the COPY path then does not apply). */
export function hasFillRecords(b: WriteBatchMessage): boolean {
  return Boolean(b.gapFills?.length || b.candles?.length || b.reconciles?.length);
}

// A gap filled once stays filled: a later failed attempt does not reopen it. filled_trades takes the record's
// total, so a record delivered twice (a resend after a writer restart) counts its trades once.
export const FILL_GAP = {
  name: 'gecko_fill_gap',
  text: `UPDATE collection_gaps SET filled_at = $4::timestamptz,
  filled_trades = CASE WHEN filled_at IS NULL THEN $5 ELSE filled_trades END,
  fill_error = NULL
WHERE pool_id = $1 AND gap_start = $2::timestamptz AND gap_end = $3::timestamptz
  AND (filled_at IS NULL OR filled_at = $4::timestamptz)`,
};

export const FAIL_GAP = {
  name: 'gecko_fail_gap',
  text: `UPDATE collection_gaps SET fill_error = $4, filled_trades = $5
WHERE pool_id = $1 AND gap_start = $2::timestamptz AND gap_end = $3::timestamptz AND filled_at IS NULL`,
};

export function gapFillStatement(g: GapFillRecord): { name: string; text: string; values: unknown[] } {
  const key = [g.poolId, utc(g.gapStart, 'gapStart'), utc(g.gapEnd, 'gapEnd')];
  return g.filledAt !== null
    ? { ...FILL_GAP, values: [...key, utc(g.filledAt, 'filledAt'), g.filledTrades] }
    : { ...FAIL_GAP, values: [...key, String(g.fillError ?? 'fill failed'), g.filledTrades] };
}

export const UPSERT_CANDLE = {
  name: 'gecko_upsert_candle',
  text: `INSERT INTO ohlcv_candles (pool_id, timeframe, bucket_start, source, open, high, low, close, volume_usd,
  trades, buys, sells, buy_volume_usd, sell_volume_usd, fetched_at)
VALUES ($1, $2, $3::timestamptz, $4, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9::numeric,
  $10, $11, $12, $13::numeric, $14::numeric, $15::timestamptz)
ON CONFLICT (pool_id, timeframe, bucket_start, source) DO UPDATE SET
  open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
  volume_usd = EXCLUDED.volume_usd, trades = EXCLUDED.trades, buys = EXCLUDED.buys, sells = EXCLUDED.sells,
  buy_volume_usd = EXCLUDED.buy_volume_usd, sell_volume_usd = EXCLUDED.sell_volume_usd,
  fetched_at = EXCLUDED.fetched_at`,
};

export function candleValues(c: CandleRecord): unknown[] {
  return [
    c.poolId,
    c.timeframe,
    utc(c.bucketStart, 'bucketStart'),
    c.source,
    c.open,
    c.high,
    c.low,
    c.close,
    c.volumeUsd,
    c.trades,
    c.buys,
    c.sells,
    c.buyVolumeUsd,
    c.sellVolumeUsd,
    utc(c.fetchedAt, 'fetchedAt'),
  ];
}

export const INSERT_RECONCILE = {
  name: 'gecko_insert_reconcile',
  text: `INSERT INTO reconcile_runs (pool_id, timeframe, reconciled_at, span_start, span_end, api_volume_usd,
  stored_volume_usd, completeness, buckets, short_buckets, threshold, min_volume_usd)
VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (pool_id, timeframe, reconciled_at) DO NOTHING`,
};

export function reconcileValues(r: ReconcileRecord): unknown[] {
  return [
    r.poolId,
    r.timeframe,
    utc(r.reconciledAt, 'reconciledAt'),
    utc(r.spanStart, 'spanStart'),
    utc(r.spanEnd, 'spanEnd'),
    r.apiVolumeUsd,
    r.storedVolumeUsd,
    r.completeness,
    r.buckets,
    r.shortBuckets,
    r.threshold,
    r.minVolumeUsd,
  ];
}
