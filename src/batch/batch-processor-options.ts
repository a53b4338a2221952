// What a batch processor is given: the function that handles a batch, its sizes and retry policy, the bound on
// the items it holds, and the hooks that hear of each batch's fate.

import type { Clock } from '../common/clock.ts';
import type { BatchConfig, BatchPresetName } from '../config/batch-config.ts';
import type { BatchFailedError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { FlushReason } from '../protocol/flush-reason.ts';

/** What `process` is told about the batch besides its items. */
export interface BatchInfo {
  /** Why the batch was cut (the same on every retry of it). */
  reason: FlushReason;
}

export interface BatchProcessorOptions<T, R> {
  /** Handles one batch; a rejection means nothing of the batch was kept (it is retried as a whole). */
  process: (batch: T[], info: BatchInfo) => Promise<R>;
  /** Sizes, wait and retry policy. Default: the production preset. */
  config?: Partial<BatchConfig> | BatchPresetName;
  /** Bound on items held (buffered + in flight); beyond it `add` waits. Default 10 × maxBatchSize. */
  maxPendingItems?: number;
  /** Batches processed at the same time. Default 1, which also keeps batches in order. */
  maxConcurrentBatches?: number;
  /** false: give up on this error at once (e.g. validation errors). Default: retry everything. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Takes a batch that could not be processed (e.g. to defer it to a durable queue). If it resolves the
   * batch counts as handled; if it rejects the batch fails as if there were no fallback.
   */
  fallback?: (items: readonly T[], error: unknown) => Promise<void>;
  /** Which give-ups go to the fallback. `exhausted`: the error was retryable but no retry was left. Default: all. */
  fallbackOn?: (error: unknown, exhausted: boolean) => boolean;
  onBatchProcessed?: (items: readonly T[], result: R, durationMs: number) => void;
  /**
   * Receives every failed batch. With this hook set, the promises from add/flush still reject, but an
   * unobserved rejection no longer counts as unhandled (fire-and-forget callers rely on the hook).
   */
  onBatchFailed?: (items: readonly T[], error: BatchFailedError<T>) => void | Promise<void>;
  /** Fraction of each retry delay that is randomized away (0 = exact doubling). Default 0.5. */
  jitter?: number;
  /** Cap on one retry delay. Default 30000 ms. */
  maxRetryDelayMs?: number;
  /** Uniform [0, 1) source for jitter. Default Math.random. */
  random?: () => number;
  clock?: Clock;
  /** For logs. */
  name?: string;
  /** Where it logs (a pino logger, at its level). Without one the library is silent. */
  logger?: Logger;
}
