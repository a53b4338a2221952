// The trades `export` and `ohlcv` read out of a store, shaped the same whichever engine holds them (decimals as
// their exact text, times as the stored UTC text `YYYY-MM-DD HH:MM:SS.ffffff`), and what each engine's
// export-rows.ts answers: rows and candle trades matching a filter, a batch at a time.

/** One stored trade as exported: the trades table's columns (snake_case in every output format). */
export interface ExportRow {
  id: string;
  poolId: string;
  blockNumber: number | null;
  txHash: string | null;
  txFromAddress: string | null;
  /** Exact decimal text (the *_exact column where the file has one); null only in a row stored without one. */
  fromTokenAmount: string | null;
  toTokenAmount: string | null;
  priceUsd: string | null;
  volumeUsd: string | null;
  side: string | null;
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff`. */
  blockTimestamp: string | null;
  /** UTC, as stored (the old collector's rows may lack the fraction); null when the row has none. */
  createdAt: string | null;
}

/** What a candle needs of a trade. */
export interface CandleTrade {
  id: string;
  poolId: string;
  priceUsd: string;
  volumeUsd: string;
  side: string;
  blockTimestamp: string;
}

export interface TradeFilter {
  /** Network-prefixed pool ids (`solana_<address>`); empty or absent = every pool. */
  poolIds?: readonly string[];
  /** Only pools of this network (pool ids start with `<network>_`). */
  network?: string;
  /** Block time from (inclusive), UTC. */
  since?: Date;
  /** Block time until (exclusive), UTC. */
  until?: Date;
}

import type { StoredCandle } from './retention-store.ts';

export interface WhereClause {
  /** `WHERE …` or ''. */
  sql: string;
  params: unknown[];
}

export interface TradeRowSource {
  /** The database for messages: the file path, or the URL with its password masked. */
  readonly display: string;
  exportRows(filter: TradeFilter): AsyncIterable<ExportRow[]>;
  /** Of `poolIds`, those the database does not know: no pools row and no trade. */
  unknownPools(poolIds: readonly string[]): Promise<string[]>;
  candleTrades(filter: TradeFilter): AsyncIterable<CandleTrade[]>;
  /** Candles `prune` kept for days whose trades are gone (source 'trades'), in pool, bucket order. */
  keptCandles(timeframe: string, filter: TradeFilter): Promise<StoredCandle[]>;
  close(): Promise<void>;
}
