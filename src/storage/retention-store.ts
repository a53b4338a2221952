// What `prune` needs of a store to write, the same on both engines: which UTC days hold trades before a cutoff,
// the candles of pruned days kept in ohlcv_candles (source 'trades'), the deletion of archived trades in short
// transactions (safe beside a running collector), and reclaiming the space. Each engine's retention-store.ts.

/** A UTC day (`YYYY-MM-DD`), its stored trades and the pools they belong to. */
export interface DayTrades {
  day: string;
  trades: number;
  pools: string[];
}

/** One candle as ohlcv_candles keeps it (prices and volumes as exact text; SQLite stores them as REAL). */
export interface StoredCandle {
  poolId: string;
  timeframe: string;
  /** UTC `YYYY-MM-DD HH:MM:SS`. */
  bucketStart: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volumeUsd: string;
  trades: number;
  buys: number;
  sells: number;
  buyVolumeUsd: string;
  sellVolumeUsd: string;
}

/** What reclaiming the space did, in words a person reads and the figures behind them. */
export interface Reclaimed {
  /** SQLite: pages given back to the file system; PostgreSQL: 0 (autovacuum does it later). */
  freedPages: number;
  freedBytes: number;
  message: string;
}

export interface RetentionStore {
  /** The database for messages. */
  readonly display: string;
  /**
   * Days with trades before `cutoff` (a UTC midnight, `YYYY-MM-DD`) stored before `storedBefore` (ISO), oldest first;
   * cursor trades not counted.
   */
  days(cutoff: string, storedBefore: string): Promise<DayTrades[]>;
  /** The trade ids pool cursors point to: never deleted (a cursor must name a stored trade). */
  cursorTradeIds(): Promise<Set<string>>;
  /** Adds candles (source 'trades'); a bucket already kept is merged (counts and volumes added, high/low widened). */
  keepCandles(candles: readonly StoredCandle[]): Promise<void>;
  /**
   * Deletes the day's trades of one pool that were stored before `storedBefore` (ISO; rows written later may not be
   * in the archive), except `keep`; a short transaction per chunk. Resolves with how many went.
   */
  deleteDay(
    poolId: string,
    day: string,
    storedBefore: string,
    keep: readonly string[],
    onChunk?: (deleted: number) => void,
  ): Promise<number>;
  reclaim(): Promise<Reclaimed>;
  close(): Promise<void>;
}

/** Trades deleted per transaction: short enough that a collector's writer waits only briefly. */
export const DELETE_CHUNK = 2000;

/** `YYYY-MM-DD` of the day after. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Rows of (day, pool, count), in day order, as DayTrades. */
export function groupDays(rows: readonly { day: string; pool: string; n: number }[]): DayTrades[] {
  const out: DayTrades[] = [];
  for (const r of rows) {
    let last = out[out.length - 1];
    if (last?.day !== r.day) {
      last = { day: r.day, trades: 0, pools: [] };
      out.push(last);
    }
    last.trades += Number(r.n);
    last.pools.push(r.pool);
  }
  return out;
}
