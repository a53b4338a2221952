// Generic size/time batcher with retries, bounded memory and no silent loss: every accepted item ends either
// processed, taken by the fallback, or handed back to its caller inside a BatchFailedError.
// This file admits items, cuts and runs batches; the retry policy, the totals, the callers' tickets and the
// options have files of their own.

import { type Clock, systemClock, type TimerHandle } from '../common/clock.ts';
import { type BatchConfig, resolveBatchConfig } from '../config/batch-config.ts';
import { BatchFailedError, ConfigError, StateError } from '../errors.ts';
import { type Logger, logger as rootLogger } from '../logging/logger.ts';
import type { FlushReason } from '../protocol/flush-reason.ts';
import type { BatchProcessorOptions } from './batch-processor-options.ts';
import { type BatchProcessorStats, BatchTotals } from './batch-stats.ts';
import {
  deferred,
  type FlushWaiter,
  finishOutcome,
  messageOf,
  settleItems,
  type Ticket,
  type TicketItem,
} from './batch-tickets.ts';
import { RetryPolicy } from './retry-policy.ts';

export type { Clock } from '../common/clock.ts';
export type { BatchInfo, BatchProcessorOptions } from './batch-processor-options.ts';
export type { BatchProcessorStats } from './batch-stats.ts';

/** What `submit` returns: `accepted` settles once the items are inside the bound, `done` once they are handled. */
export interface Submission {
  accepted: Promise<void>;
  done: Promise<void>;
}

interface Entry<T> extends TicketItem<T> {
  at: number;
}

interface Waiting<T> {
  items: readonly T[];
  offset: number;
  ticket: Ticket<T>;
}

interface ActiveBatch<T> {
  entries: Entry<T>[];
  firstSeq: number;
  reason: FlushReason;
}

function checkInt(field: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ConfigError(field, v, `expected an integer >= ${min}`);
  return v;
}

export class BatchProcessor<T, R> {
  readonly config: Readonly<BatchConfig>;
  readonly maxPendingItems: number;
  private readonly maxConcurrent: number;
  private readonly opts: BatchProcessorOptions<T, R>;
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;

  private buffer: Entry<T>[] = [];
  private readonly waiting: Waiting<T>[] = [];
  private waitingItems = 0;
  private readonly active = new Set<ActiveBatch<T>>();
  private activeItems = 0;
  private flushWaiters: FlushWaiter<T>[] = [];
  private nextSeq = 0;
  /** Items with a smaller sequence number are due now: an explicit flush, or close, asked for them. */
  private flushThroughSeq = 0;
  private closeThroughSeq = 0;
  private timer: TimerHandle | null = null;
  private timerDueAt = 0;
  private closePromise: Promise<void> | null = null;

  private readonly stats = new BatchTotals();

  constructor(options: BatchProcessorOptions<T, R>) {
    this.opts = options;
    this.config = Object.freeze(resolveBatchConfig(options.config ?? 'production'));
    this.maxPendingItems = checkInt('maxPendingItems', options.maxPendingItems ?? this.config.maxBatchSize * 10, 1);
    if (this.maxPendingItems < this.config.maxBatchSize) {
      throw new ConfigError(
        'maxPendingItems',
        this.maxPendingItems,
        `expected >= maxBatchSize (${this.config.maxBatchSize})`,
      );
    }
    this.maxConcurrent = checkInt('maxConcurrentBatches', options.maxConcurrentBatches ?? 1, 1);
    const jitter = options.jitter ?? 0.5;
    if (!(jitter >= 0 && jitter <= 1)) throw new ConfigError('jitter', jitter, 'expected a number in [0, 1]');
    const maxRetryDelayMs = checkInt('maxRetryDelayMs', options.maxRetryDelayMs ?? 30_000, 0);
    this.clock = options.clock ?? systemClock;
    const bindings = { component: 'batch-processor', ...(options.name ? { processor: options.name } : {}) };
    this.log = (options.logger ?? rootLogger).child(bindings);
    this.retry = new RetryPolicy(
      {
        retryDelayMs: this.config.retryDelayMs,
        maxRetryDelayMs,
        jitter,
        random: options.random ?? Math.random,
        shouldRetry: options.shouldRetry,
      },
      this.log,
    );
  }

  /** Resolves when every item is handled; rejects with a BatchFailedError holding this call's failed items. */
  add(items: readonly T[]): Promise<void> {
    return this.submit(items).done;
  }

  /**
   * Like `add`, but also tells when the items got inside the memory bound, so a producer can pipeline:
   * `await submit(x).accepted` for backpressure, and handle `done` on the side.
   */
  submit(items: readonly T[]): Submission {
    if (this.closePromise) {
      const err = new StateError('batch processor is closed');
      const rejected = Promise.reject(err);
      const done = Promise.reject(err);
      rejected.catch(() => undefined);
      return { accepted: rejected, done };
    }
    const ticket: Ticket<T> = {
      total: items.length,
      settled: 0,
      failed: [],
      lastFailure: null,
      done: deferred(),
      accepted: deferred(),
    };
    // `accepted` is advisory; the rejection that matters is on `done`.
    ticket.accepted.promise.catch(() => undefined);
    if (this.opts.onBatchFailed) ticket.done.promise.catch(() => undefined);
    if (items.length === 0) {
      ticket.accepted.resolve();
      ticket.done.resolve();
    } else {
      this.waiting.push({ items: items.slice(), offset: 0, ticket });
      this.waitingItems += items.length;
      this.admit();
      this.pump();
    }
    return { accepted: ticket.accepted.promise, done: ticket.done.promise };
  }

  /**
   * Sends everything accepted or waiting so far without waiting for size or time, and resolves once all of
   * it (and whatever was already in flight) is handled. Rejects with a BatchFailedError holding every item
   * among those that failed (the same items also reach their `add` callers).
   */
  flush(): Promise<void> {
    return this.forceThrough('flush');
  }

  /** Refuses new items, flushes everything (including callers blocked on backpressure), waits for in-flight. */
  close(): Promise<void> {
    if (!this.closePromise) {
      const flushed = this.forceThrough('close');
      this.closePromise = flushed.finally(() => this.clearTimer());
    }
    return this.closePromise;
  }

  private forceThrough(reason: 'flush' | 'close'): Promise<void> {
    const target = this.nextSeq + this.waitingItems;
    if (reason === 'flush') this.flushThroughSeq = Math.max(this.flushThroughSeq, target);
    else this.closeThroughSeq = Math.max(this.closeThroughSeq, target);
    const waiter: FlushWaiter<T> = { target, failed: [], lastFailure: null, done: deferred() };
    if (this.opts.onBatchFailed) waiter.done.promise.catch(() => undefined);
    this.flushWaiters.push(waiter);
    this.pump();
    this.settleFlushWaiters();
    return waiter.done.promise;
  }

  getStats(): BatchProcessorStats {
    return this.stats.snapshot({
      pendingItems: this.buffer.length,
      blockedItems: this.waitingItems,
      inFlightItems: this.activeItems,
    });
  }

  private held(): number {
    return this.buffer.length + this.activeItems;
  }

  /** Moves waiting items into the buffer while the bound allows, first come first served. */
  private admit(): void {
    while (this.waiting.length > 0) {
      const room = this.maxPendingItems - this.held();
      if (room <= 0) return;
      const w = this.waiting[0]!;
      const n = Math.min(room, w.items.length - w.offset);
      const at = this.clock.now();
      for (let i = 0; i < n; i++) {
        this.buffer.push({ item: w.items[w.offset + i] as T, seq: this.nextSeq++, at, ticket: w.ticket });
      }
      w.offset += n;
      this.waitingItems -= n;
      if (w.offset === w.items.length) {
        this.waiting.shift();
        w.ticket.accepted.resolve();
      }
    }
  }

  /**
   * Why the head of the buffer is due now, or null when it is not. Size comes first (the batch is full
   * whatever else asked for it), then the timer: a batch whose wait already ran out was not made small by a
   * flush or close that came after.
   */
  private dueReason(): FlushReason | null {
    const first = this.buffer[0];
    if (!first) return null;
    if (this.buffer.length >= this.config.maxBatchSize) return 'size';
    if (this.clock.now() - first.at >= this.config.maxWaitMs) return 'maxWait';
    if (first.seq < this.flushThroughSeq) return 'flush';
    if (first.seq < this.closeThroughSeq) return 'close';
    return null;
  }

  private isDue(): boolean {
    return this.dueReason() !== null;
  }

  /** Starts every due batch a free slot allows, then arms the timer for the oldest item still waiting. */
  private pump(): void {
    for (
      let reason = this.dueReason();
      reason !== null && this.active.size < this.maxConcurrent;
      reason = this.dueReason()
    ) {
      this.startBatch(reason);
    }
    const first = this.buffer[0];
    if (!first || this.isDue()) {
      // Empty, or due and waiting only for a slot: the end of a running batch pumps again.
      this.clearTimer();
      return;
    }
    const dueAt = first.at + this.config.maxWaitMs;
    if (this.timer !== null && this.timerDueAt === dueAt) return;
    this.clearTimer();
    this.timerDueAt = dueAt;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.max(0, dueAt - this.clock.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private startBatch(reason: FlushReason): void {
    const entries = this.buffer.splice(0, this.config.maxBatchSize);
    const batch: ActiveBatch<T> = { entries, firstSeq: entries[0]!.seq, reason };
    this.active.add(batch);
    this.activeItems += entries.length;
    this.stats.lastFlushTime = this.clock.now();
    this.stats.flushReasons[reason]++;
    this.run(batch).catch((err: unknown) => {
      // run() settles on every path; reaching here is a bug, but the items must still go back.
      this.log.error({ err }, 'batch runner failed unexpectedly');
      if (this.active.has(batch)) this.fail(batch, err, 1);
    });
  }

  private async run(batch: ActiveBatch<T>): Promise<void> {
    const items = batch.entries.map((e) => e.item);
    const { maxRetries } = this.config;
    for (let attempt = 0; ; attempt++) {
      const started = this.clock.now();
      let result: R;
      try {
        result = await this.opts.process(items.slice(), { reason: batch.reason });
      } catch (err) {
        const retryable = this.retry.retryable(err, attempt);
        if (retryable && attempt < maxRetries) {
          const delay = this.retry.delay(attempt);
          this.stats.retries++;
          this.log.debug({ err, attempt: attempt + 1, delay, size: items.length }, 'batch failed; retrying');
          await new Promise<void>((resolve) => this.clock.setTimer(resolve, delay));
          continue;
        }
        await this.giveUp(batch, items, err, attempt + 1, retryable);
        return;
      }
      const durationMs = this.clock.now() - started;
      this.stats.totalProcessed += items.length;
      this.stats.totalBatches++;
      this.stats.processingMs += durationMs;
      try {
        this.opts.onBatchProcessed?.(items, result, durationMs);
      } catch (err) {
        this.log.error({ err }, 'onBatchProcessed hook threw');
      }
      this.settle(batch, null);
      return;
    }
  }

  /** retryDelayMs × 2^attempt, capped, minus a random share of up to `jitter` of it. */
  retryDelay(attempt: number): number {
    return this.retry.delay(attempt);
  }

  private async giveUp(
    batch: ActiveBatch<T>,
    items: T[],
    err: unknown,
    attempts: number,
    exhausted: boolean,
  ): Promise<void> {
    const { fallback, fallbackOn } = this.opts;
    if (fallback && (!fallbackOn || fallbackOn(err, exhausted))) {
      try {
        await fallback(items, err);
        this.stats.fallbackBatches++;
        this.stats.fallbackItems += items.length;
        this.settle(batch, null);
        return;
      } catch (fallbackErr) {
        this.log.error({ err: fallbackErr, cause: err, size: items.length }, 'fallback failed; handing the batch back');
      }
    }
    this.fail(batch, err, attempts);
  }

  private fail(batch: ActiveBatch<T>, err: unknown, attempts: number): void {
    const items = batch.entries.map((e) => e.item);
    this.stats.failedBatches++;
    this.stats.failedItems += items.length;
    const failure = new BatchFailedError<T>(
      `batch of ${items.length} items failed after ${attempts} attempt(s): ${messageOf(err)}`,
      items,
      attempts,
      { cause: err },
    );
    this.log.warn({ err, size: items.length, attempts }, 'batch failed; handing it back');
    const hook = this.opts.onBatchFailed;
    if (hook) {
      try {
        // Not awaited: a hook that re-adds the items to this processor must not wait on its own batch.
        Promise.resolve(hook(items, failure)).catch((hookErr: unknown) =>
          this.log.error({ err: hookErr }, 'onBatchFailed hook rejected'),
        );
      } catch (hookErr) {
        this.log.error({ err: hookErr }, 'onBatchFailed hook threw');
      }
    }
    this.settle(batch, failure);
  }

  private settle(batch: ActiveBatch<T>, failure: BatchFailedError<T> | null): void {
    if (!this.active.delete(batch)) return;
    this.activeItems -= batch.entries.length;
    settleItems(batch.entries, failure, this.flushWaiters);
    this.settleFlushWaiters();
    this.admit();
    this.pump();
  }

  private settleFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    let lowest = this.buffer[0]?.seq ?? this.nextSeq;
    for (const b of this.active) lowest = Math.min(lowest, b.firstSeq);
    const still: FlushWaiter<T>[] = [];
    for (const w of this.flushWaiters) {
      if (lowest >= w.target) finishOutcome(w, '');
      else still.push(w);
    }
    this.flushWaiters = still;
  }
}
