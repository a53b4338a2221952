// The one interface both managers implement, so collectors, the batch processor, the CLI and the benchmarks
// can switch between the write funnel and the old direct way (the rollback switch) without other changes.

import type { FlushReason } from '../protocol/flush-reason.ts';
import type { LockContentionMetrics } from '../protocol/lock-contention-metrics.ts';
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

export interface TradeStore {
  /** Stores trades idempotently by id; resolves once they are committed. */
  storeTrades(trades: readonly TradeRecord[], options?: StoreOptions): Promise<StoreResult>;
  getLockContentionMetrics(): Promise<LockContentionMetrics>;
  close(): Promise<void>;
}
