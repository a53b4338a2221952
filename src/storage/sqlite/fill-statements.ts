// The SQLite writer's statements for backfill and reconcile records: a gap marked filled (or its fill error), a
// candle kept in ohlcv_candles, a reconcile result in reconcile_runs. Run inside the writer's transaction.

import type { Database, Statement } from 'better-sqlite3';
import type { CandleRecord, GapFillRecord, ReconcileRecord } from '../../protocol/records.ts';
import { normalizeTimestamp } from '../../trades/trade-validation.ts';
import { numericValue } from './schema-migrations.ts';

function ts(value: string, field: string): string {
  const n = typeof value === 'string' ? normalizeTimestamp(value) : null;
  if (n === null) throw new TypeError(`${field} ${JSON.stringify(value)} is not a valid date-time`);
  return n;
}

export class FillStatements {
  private readonly fillGap: Statement;
  private readonly failGap: Statement;
  private readonly upsertCandle: Statement;
  private readonly insertReconcile: Statement;

  constructor(db: Database) {
    // A gap filled once stays filled: a later failed attempt does not reopen it. filled_trades takes the record's
    // total, so a record delivered twice (a resend after a writer restart) counts its trades once.
    this.fillGap = db.prepare(
      `UPDATE collection_gaps SET filled_at = ?,
         filled_trades = CASE WHEN filled_at IS NULL THEN ? ELSE filled_trades END,
         fill_error = NULL
       WHERE pool_id = ? AND gap_start = ? AND gap_end = ? AND (filled_at IS NULL OR filled_at = ?)`,
    );
    this.failGap = db.prepare(
      `UPDATE collection_gaps SET fill_error = ?, filled_trades = ?
       WHERE pool_id = ? AND gap_start = ? AND gap_end = ? AND filled_at IS NULL`,
    );
    this.upsertCandle = db.prepare(
      `INSERT INTO ohlcv_candles (pool_id, timeframe, bucket_start, source, open, high, low, close, volume_usd,
         trades, buys, sells, buy_volume_usd, sell_volume_usd, fetched_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pool_id, timeframe, bucket_start, source) DO UPDATE SET
         open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
         volume_usd = excluded.volume_usd, trades = excluded.trades, buys = excluded.buys, sells = excluded.sells,
         buy_volume_usd = excluded.buy_volume_usd, sell_volume_usd = excluded.sell_volume_usd,
         fetched_at = excluded.fetched_at`,
    );
    this.insertReconcile = db.prepare(
      `INSERT OR IGNORE INTO reconcile_runs (pool_id, timeframe, reconciled_at, span_start, span_end, api_volume_usd,
         stored_volume_usd, completeness, buckets, short_buckets, threshold, min_volume_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  gapFill(g: GapFillRecord): void {
    const start = ts(g.gapStart, 'gapStart');
    const end = ts(g.gapEnd, 'gapEnd');
    if (g.filledAt !== null) {
      const at = ts(g.filledAt, 'filledAt');
      this.fillGap.run(at, g.filledTrades, g.poolId, start, end, at);
    } else this.failGap.run(String(g.fillError ?? 'fill failed'), g.filledTrades, g.poolId, start, end);
  }

  candle(c: CandleRecord): void {
    const n = (v: string | null) => (v === null ? null : numericValue(v));
    this.upsertCandle.run(
      c.poolId,
      c.timeframe,
      ts(c.bucketStart, 'bucketStart'),
      c.source,
      n(c.open),
      n(c.high),
      n(c.low),
      n(c.close),
      n(c.volumeUsd),
      c.trades,
      c.buys,
      c.sells,
      n(c.buyVolumeUsd),
      n(c.sellVolumeUsd),
      ts(c.fetchedAt, 'fetchedAt'),
    );
  }

  reconcile(r: ReconcileRecord): void {
    this.insertReconcile.run(
      r.poolId,
      r.timeframe,
      ts(r.reconciledAt, 'reconciledAt'),
      ts(r.spanStart, 'spanStart'),
      ts(r.spanEnd, 'spanEnd'),
      r.apiVolumeUsd,
      r.storedVolumeUsd,
      r.completeness,
      r.buckets,
      r.shortBuckets,
      r.threshold,
      r.minVolumeUsd,
    );
  }
}
