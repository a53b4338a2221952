// TradeDataBatchProcessor (the Python collector's name): batches trades from one collector into a TradeStore, sends batches the
// breaker refuses (or that exhausted their retries) to a fallback such as the deferred queue, and keeps
// the store's inserted/duplicate/rejected totals next to the batching stats.

import type { Clock } from '../common/clock.ts';
import { defaultErrorFilter } from '../common/error-filter.ts';
import type { BatchConfig, BatchPresetName } from '../config/batch-config.ts';
import type { BatchFailedError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import { isCircuitBreakerError } from '../protocol/circuit-breaker-error.ts';
import type { TradeRecord } from '../protocol/records.ts';
import { BatchProcessor, type BatchProcessorStats } from './batch-processor.ts';
import { type StoreResult, storeTradesOf, type TradeStore } from './trade-store.ts';

/** What the processor needs of a circuit breaker (a CircuitBreaker): to run a call through it. */
export interface CallBreaker {
  execute<T>(call: () => Promise<T>): Promise<T>;
}

export interface TradeDataBatchProcessorOptions {
  /**
   * Where batches go when the breaker refuses them or their retries run out (typically the durable
   * deferred queue). Resolving means the batch is safe and counts as handled; without a fallback, or if it
   * rejects, the batch goes back to the caller in a BatchFailedError.
   */
  fallback?: (items: readonly TradeRecord[], error: unknown) => Promise<void>;
  onBatchFailed?: (items: readonly TradeRecord[], error: BatchFailedError<TradeRecord>) => void | Promise<void>;
  /**
   * Runs each store call through this breaker. Only for stores that do not gate themselves: a store
   * whose outcomes already reach the breaker (the writer's acks) would be counted twice.
   */
  breaker?: CallBreaker;
  /** Default: retry errors that say the database is unhealthy; never a breaker rejection or bad data. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  maxPendingItems?: number;
  maxConcurrentBatches?: number;
  jitter?: number;
  random?: () => number;
  clock?: Clock;
  name?: string;
  /** Where it logs (a pino logger, at its level). Without one the library is silent. */
  logger?: Logger;
}

export interface TradeDataBatchStats extends BatchProcessorStats {
  inserted: number;
  duplicates: number;
  /** Rows the store rejected as invalid (the rest of their batch was stored). */
  rejected: number;
}

/** Retrying helps with locks, I/O and a restarting writer; not with an open breaker or invalid data. */
export function defaultTradeRetry(error: unknown): boolean {
  if (isCircuitBreakerError(error)) return false;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'INVALID_STATE') return false;
  return defaultErrorFilter(error);
}

export class TradeDataBatchProcessor {
  private readonly processor: BatchProcessor<TradeRecord, StoreResult>;
  private readonly totals = { inserted: 0, duplicates: 0, rejected: 0 };

  constructor(
    store: TradeStore,
    config: Partial<BatchConfig> | BatchPresetName = 'production',
    options: TradeDataBatchProcessorOptions = {},
  ) {
    const { breaker } = options;
    const storeTrades = storeTradesOf(store);
    this.processor = new BatchProcessor<TradeRecord, StoreResult>({
      // The reason travels with the batch so the writer can tell timer flushes from full or forced ones.
      process: breaker
        ? (batch, { reason }) => breaker.execute(() => storeTrades(batch, { flushReason: reason }))
        : (batch, { reason }) => storeTrades(batch, { flushReason: reason }),
      config,
      shouldRetry: options.shouldRetry ?? defaultTradeRetry,
      // Bad data must come back to the caller, not be spooled and replayed forever.
      fallbackOn: (error, exhausted) => exhausted || isCircuitBreakerError(error),
      onBatchProcessed: (_items, result) => {
        this.totals.inserted += result.inserted;
        this.totals.duplicates += result.duplicates;
        this.totals.rejected += result.rejected.length;
      },
      name: options.name ?? 'trades',
      ...(options.fallback ? { fallback: options.fallback } : {}),
      ...(options.onBatchFailed ? { onBatchFailed: options.onBatchFailed } : {}),
      ...(options.maxPendingItems !== undefined ? { maxPendingItems: options.maxPendingItems } : {}),
      ...(options.maxConcurrentBatches !== undefined ? { maxConcurrentBatches: options.maxConcurrentBatches } : {}),
      ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
      ...(options.random ? { random: options.random } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  get config(): Readonly<BatchConfig> {
    return this.processor.config;
  }

  /** Resolves once the trades are stored or deferred; rejects with a BatchFailedError holding the ones that were not. */
  addTrades(trades: readonly TradeRecord[]): Promise<void> {
    return this.processor.add(trades);
  }

  /** `addTrades` for producers that want backpressure (`accepted`) without waiting for the store (`done`). */
  submitTrades(trades: readonly TradeRecord[]): { accepted: Promise<void>; done: Promise<void> } {
    return this.processor.submit(trades);
  }

  /** Writes everything accepted so far now; see BatchProcessor.flush. */
  flushTrades(): Promise<void> {
    return this.processor.flush();
  }

  /** Flushes and stops accepting trades. The store stays open: it belongs to the caller. */
  close(): Promise<void> {
    return this.processor.close();
  }

  getStats(): TradeDataBatchStats {
    return { ...this.processor.getStats(), ...this.totals };
  }
}
