// What backfill and reconcile read from a store, whichever engine holds it: the open gaps, each pool's cursor and
// stored span, the buckets built from stored trades (the ohlcv_* views) and the API's kept candles. Times are the
// stored UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`), buckets unix seconds. Read-only, beside the writer.

import type { Timeframe } from '../gecko/timeframes.ts';
import type { ReconcileRecord } from '../protocol/records.ts';
import type { TradeFilter } from './trade-rows.ts';

export interface OpenGap {
  poolId: string;
  /** As stored: the key a GapFillRecord names it by. */
  gapStart: string;
  gapEnd: string;
  /** A fill failed before (null: never tried). */
  fillError: string | null;
  /** The trades it was estimated to have lost (null: no estimate recorded), and when it was recorded (stored text). */
  estimatedMissed: number | null;
  detectedAt: string;
  /** Trades earlier fills of it stored before they failed (0: none); a new fill's record counts on from here. */
  filledTrades: number;
}

export interface PoolSpan {
  poolId: string;
  /** The newest stored trade's time per the cursor (collection_state), null without one. */
  cursorTimestamp: string | null;
  /** The oldest and newest stored trade (null: none stored). */
  firstTrade: string | null;
  lastTrade: string | null;
}

/** A bucket's USD volume and trade count. */
export interface BucketVolume {
  startSec: number;
  volumeUsd: number;
  trades: number;
}

/** One of the API's candles kept in ohlcv_candles; figures as decimal text, bucketStart `YYYY-MM-DD HH:MM:SS`. */
export interface KeptCandle {
  poolId: string;
  bucketStart: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volumeUsd: string;
}

/** A pool's newest reconcile (a reconcile_runs row), times as stored. */
export type LatestReconcile = ReconcileRecord;

export interface FillReads {
  readonly engine: 'sqlite' | 'postgres';
  /** Gaps not filled yet, oldest first; only these pools when given. */
  openGaps(poolIds?: readonly string[]): Promise<OpenGap[]>;
  /** Every pool with a cursor or a stored trade (`prefix`: pool ids starting with it, e.g. `solana_`). */
  poolSpans(prefix: string): Promise<PoolSpan[]>;
  /** Buckets of stored trades (ohlcv_<timeframe>) of one pool with fromSec <= start < toSec. */
  storedBuckets(poolId: string, timeframe: Timeframe, fromSec: number, toSec: number): Promise<BucketVolume[]>;
  /** The API's candles kept in ohlcv_candles, same span. */
  apiBuckets(poolId: string, timeframe: Timeframe, fromSec: number, toSec: number): Promise<BucketVolume[]>;
  /** The API's candles kept for `timeframe`, in pool, bucket order; the filter's since/until apply to bucket starts. */
  keptApiCandles(timeframe: Timeframe, filter: TradeFilter): Promise<KeptCandle[]>;
  /** Each pool's newest reconcile (none before the first, or on a store without reconcile_runs). */
  latestReconciles(): Promise<LatestReconcile[]>;
  close(): Promise<void>;
}
