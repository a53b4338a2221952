// The records that flow from collectors to the writer: a trade row, a pool row, a per-pool cursor and a gap;
// from the main thread, a pool joining or leaving the run's pool set.
// Decimal amounts stay strings end to end so that ~70-digit values survive unchanged.

export type TradeSide = 'buy' | 'sell';

/** One trade, shaped like a row of the `trades` table (camelCase). */
export interface TradeRecord {
  /** `{network}_{block_number}_{tx_hash}_{log_index}_{unix_seconds}`: the idempotency key. */
  id: string;
  /** Network-prefixed pool id, e.g. `solana_<address>`. */
  poolId: string;
  blockNumber: number | null;
  txHash: string | null;
  txFromAddress: string | null;
  /** Non-negative decimal strings, stored exactly as received. */
  fromTokenAmount: string;
  toTokenAmount: string;
  /** USD price of the pool's base token. */
  priceUsd: string;
  volumeUsd: string;
  side: TradeSide;
  /** ISO 8601 (`2025-08-28T16:15:08Z`) or the legacy `2025-08-28 16:15:08.000000` (UTC); stored normalized. */
  blockTimestamp: string;
  /**
   * When the trade was first seen, as blockTimestamp (import keeps the old collector's created_at); absent or
   * null: the time of the write.
   */
  createdAt?: string | null;
}

/** One pool, shaped like a row of the `pools` table. Upserted by id. */
export interface PoolRecord {
  id: string;
  address: string;
  name: string | null;
  dexId: string;
  baseTokenId: string | null;
  quoteTokenId: string | null;
  reserveUsd: string | null;
  createdAt: string | null;
  discoverySource: string | null;
  metadataJson: string | null;
}

export interface DexRecord {
  id: string;
  name: string;
  network: string;
}

/** Where a collector stands in one pool: the newest trade it has stored. */
export interface CursorUpdate {
  poolId: string;
  lastTradeId: string;
  lastTradeTimestamp: string;
  polledAt: string;
  /**
   * PostgreSQL with pools shared through leases: the epoch of the lease under which the pool was polled. The
   * writer then moves the cursor only while this process still holds that lease (fencing).
   */
  leaseEpoch?: number;
  /** The pool's estimated trades/s at `polledAt`, and the interval the schedule chose (kept for a restart). */
  tradeRatePerS?: number;
  pollIntervalMs?: number;
}

/** A time span of a pool whose trades may be missing: a full response did not reach back to the cursor. */
export interface GapRecord {
  poolId: string;
  /** Timestamp of the cursor (newest trade stored before the gap). */
  gapStart: string;
  /** Timestamp of the oldest trade in the response that proved the gap. */
  gapEnd: string;
  detectedAt: string;
  tradesInResponse: number;
  /** Trades the gap probably held: the pool's estimated rate × its span. */
  estimatedMissed?: number;
}

/**
 * How a backfill left one gap (the collection_gaps rows of this pool and span): filled, with the trades the fill
 * stored, or still open with the reason it failed.
 */
export interface GapFillRecord {
  poolId: string;
  /** The gap's span as stored (collection_gaps.gap_start, gap_end): the key of the rows to update. */
  gapStart: string;
  gapEnd: string;
  /** When the last trade of the span was committed; null when the fill failed (fillError says why). */
  filledAt: string | null;
  /**
   * Trades the gap's fills have inserted so far, this one's included (repeats of stored ones not counted): a total,
   * not an increment, so a record delivered twice (a resend after a writer restart) counts once.
   */
  filledTrades: number;
  fillError: string | null;
}

/** One candle kept in ohlcv_candles: the API's (`api`), or one built from stored trades (`trades`). */
export interface CandleRecord {
  poolId: string;
  /** A name of src/gecko/timeframes.ts (1m … 1d). */
  timeframe: string;
  /** The bucket's start, ISO 8601 UTC. */
  bucketStart: string;
  source: 'api' | 'trades';
  /** Decimal strings (the API's numbers as it wrote them). */
  open: string;
  high: string;
  low: string;
  close: string;
  volumeUsd: string;
  /** Counts the API does not give: null for `api` candles. */
  trades: number | null;
  buys: number | null;
  sells: number | null;
  buyVolumeUsd: string | null;
  sellVolumeUsd: string | null;
  fetchedAt: string;
}

/** One pool's result of a reconcile: the store's USD volume against the API's candles over a span. */
export interface ReconcileRecord {
  poolId: string;
  timeframe: string;
  reconciledAt: string;
  /** The span compared: the first bucket's start and the end of the last (ISO 8601 UTC). */
  spanStart: string;
  spanEnd: string;
  apiVolumeUsd: number;
  storedVolumeUsd: number;
  /** stored / api volume over the span (buckets the store covers; see docs/data.md); null when the API had none. */
  completeness: number | null;
  buckets: number;
  /** Buckets short of the API's volume by more than `threshold` (a fraction). */
  shortBuckets: number;
  threshold: number;
  /** The --min-volume-usd the store was collected with, when known: its trades cannot add up to the API's volume. */
  minVolumeUsd: string | null;
}

/** Where a pool of the run's set came from (pool_membership.source). */
export type MembershipSource = 'top' | 'new' | 'file' | 'watchlist' | 'cli';

/** A pool joined the run's pool set or left it (a row of pool_membership: joined_at, left_at NULL while in). */
export interface MembershipRecord {
  poolId: string;
  event: 'joined' | 'left';
  source: MembershipSource;
  /** ISO 8601, UTC. */
  at: string;
}
