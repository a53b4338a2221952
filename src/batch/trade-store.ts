// What a batch processor or a collector stores trades into: either manager by its own method (the funnel's
// storeTradeDataOptimized, the old way's storeTradeData), or a plain function; so the rollback switch changes
// only which store is passed.

import type { FlushReason } from '../protocol/flush-reason.ts';
import type { RejectedRow } from '../protocol/messages.ts';
import type { TradeRecord } from '../protocol/records.ts';

export interface StoreResult {
  inserted: number;
  duplicates: number;
  rejected: RejectedRow[];
}

export interface StoreOptions {
  /** Why a batch processor cut this batch; the funnel's batch-fill figures and alert use it. */
  flushReason?: FlushReason;
}

/** Stores trades idempotently by id; resolves once they are committed. */
export type StoreTrades = (trades: readonly TradeRecord[], options?: StoreOptions) => Promise<StoreResult>;

/** A LockOptimizedDatabaseManager, a DirectDatabaseManager, or anything shaped like one of them, or a function. */
export type TradeStore =
  | { storeTradeDataOptimized(trades: readonly TradeRecord[], options?: StoreOptions): Promise<StoreResult> }
  | { storeTradeData(trades: readonly TradeRecord[], options?: StoreOptions): Promise<StoreResult> }
  | StoreTrades;

/** The store call of any TradeStore. */
export function storeTradesOf(store: TradeStore): StoreTrades {
  if (typeof store === 'function') return store;
  if ('storeTradeDataOptimized' in store) return (trades, options) => store.storeTradeDataOptimized(trades, options);
  return (trades, options) => store.storeTradeData(trades, options);
}
