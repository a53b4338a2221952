// A batch processor's running totals, and the stats snapshot it reports from them.

import { emptyFlushReasonCounts, type FlushReasonCounts } from '../protocol/flush-reason.ts';

export interface BatchProcessorStats {
  /** Items in batches that `process` completed. */
  totalProcessed: number;
  /** Batches that `process` completed. */
  totalBatches: number;
  /** Items accepted and waiting for a batch. */
  pendingItems: number;
  /** Items of `add` calls waiting for room (backpressure). */
  blockedItems: number;
  /** Items in batches being processed or waiting to retry. */
  inFlightItems: number;
  avgBatchSize: number;
  /** Mean duration of the successful `process` call of each batch. */
  avgProcessingMs: number;
  /** When the last batch was cut and handed to `process` (epoch ms), null before the first. */
  lastFlushTime: number | null;
  /** Batches cut for each reason (counted when cut, whatever became of them). */
  flushReasons: FlushReasonCounts;
  /** Batches handed back to callers. */
  failedBatches: number;
  failedItems: number;
  /** Retry attempts made (not counting first attempts). */
  retries: number;
  /** Batches and items taken by the fallback. */
  fallbackBatches: number;
  fallbackItems: number;
}

/** What the processor counts as it goes; the items it holds right now are its own to report. */
export class BatchTotals {
  totalProcessed = 0;
  totalBatches = 0;
  processingMs = 0;
  lastFlushTime: number | null = null;
  readonly flushReasons = emptyFlushReasonCounts();
  failedBatches = 0;
  failedItems = 0;
  retries = 0;
  fallbackBatches = 0;
  fallbackItems = 0;

  snapshot(held: { pendingItems: number; blockedItems: number; inFlightItems: number }): BatchProcessorStats {
    return {
      totalProcessed: this.totalProcessed,
      totalBatches: this.totalBatches,
      pendingItems: held.pendingItems,
      blockedItems: held.blockedItems,
      inFlightItems: held.inFlightItems,
      avgBatchSize: this.totalBatches === 0 ? 0 : this.totalProcessed / this.totalBatches,
      avgProcessingMs: this.totalBatches === 0 ? 0 : this.processingMs / this.totalBatches,
      lastFlushTime: this.lastFlushTime,
      flushReasons: { ...this.flushReasons },
      failedBatches: this.failedBatches,
      failedItems: this.failedItems,
      retries: this.retries,
      fallbackBatches: this.fallbackBatches,
      fallbackItems: this.fallbackItems,
    };
  }
}
