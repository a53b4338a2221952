// Generic size/time batcher with retries, bounded memory and no silent loss: every accepted item ends either
// processed, taken by the fallback, or handed back to its caller inside a BatchFailedError.

import { type Clock, systemClock, type TimerHandle } from '../common/clock.ts';
import { type BatchConfig, type BatchPresetName, resolveBatchConfig } from '../config/batch-config.ts';
import { BatchFailedError, ConfigError, StateError } from '../errors.ts';
import { componentLogger, type Logger } from '../logging/logger.ts';
import { emptyFlushReasonCounts, type FlushReason, type FlushReasonCounts } from '../protocol/flush-reason.ts';

export type { Clock } from '../common/clock.ts';

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
}

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

/** What `submit` returns: `accepted` settles once the items are inside the bound, `done` once they are handled. */
export interface Submission {
  accepted: Promise<void>;
  done: Promise<void>;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Collects the items of one add call (or one flush) that failed, to hand exactly those back. */
interface Outcome<T> {
  failed: T[];
  lastFailure: BatchFailedError<T> | null;
  done: Deferred;
}

interface Ticket<T> extends Outcome<T> {
  total: number;
  settled: number;
  accepted: Deferred;
}

interface Entry<T> {
  item: T;
  seq: number;
  at: number;
  ticket: Ticket<T>;
}

interface Waiting<T> {
  items: readonly T[];
  offset: number;
  ticket: Ticket<T>;
}

interface FlushWaiter<T> extends Outcome<T> {
  /** Covers every item with a smaller sequence number. */
  target: number;
}

interface ActiveBatch<T> {
  entries: Entry<T>[];
  firstSeq: number;
  reason: FlushReason;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
  private readonly random: () => number;
  private readonly jitter: number;
  private readonly maxRetryDelayMs: number;
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

  private readonly stats = {
    totalProcessed: 0,
    totalBatches: 0,
    processingMs: 0,
    lastFlushTime: null as number | null,
    flushReasons: emptyFlushReasonCounts(),
    failedBatches: 0,
    failedItems: 0,
    retries: 0,
    fallbackBatches: 0,
    fallbackItems: 0,
  };

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
    this.jitter = options.jitter ?? 0.5;
    if (!(this.jitter >= 0 && this.jitter <= 1))
      throw new ConfigError('jitter', this.jitter, 'expected a number in [0, 1]');
    this.maxRetryDelayMs = checkInt('maxRetryDelayMs', options.maxRetryDelayMs ?? 30_000, 0);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = componentLogger('batch-processor', options.name ? { processor: options.name } : {});
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
    const s = this.stats;
    return {
      totalProcessed: s.totalProcessed,
      totalBatches: s.totalBatches,
      pendingItems: this.buffer.length,
      blockedItems: this.waitingItems,
      inFlightItems: this.activeItems,
      avgBatchSize: s.totalBatches === 0 ? 0 : s.totalProcessed / s.totalBatches,
      avgProcessingMs: s.totalBatches === 0 ? 0 : s.processingMs / s.totalBatches,
      lastFlushTime: s.lastFlushTime,
      flushReasons: { ...s.flushReasons },
      failedBatches: s.failedBatches,
      failedItems: s.failedItems,
      retries: s.retries,
      fallbackBatches: s.fallbackBatches,
      fallbackItems: s.fallbackItems,
    };
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
        const retryable = this.retryable(err, attempt);
        if (retryable && attempt < maxRetries) {
          const delay = this.retryDelay(attempt);
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

  private retryable(err: unknown, attempt: number): boolean {
    if (!this.opts.shouldRetry) return true;
    try {
      return this.opts.shouldRetry(err, attempt);
    } catch (hookErr) {
      this.log.error({ err: hookErr }, 'shouldRetry hook threw; not retrying');
      return false;
    }
  }

  /** retryDelayMs × 2^attempt, capped, minus a random share of up to `jitter` of it. */
  retryDelay(attempt: number): number {
    const nominal = Math.min(this.config.retryDelayMs * 2 ** attempt, this.maxRetryDelayMs);
    return Math.round(nominal * (1 - this.jitter * this.random()));
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
    for (const e of batch.entries) {
      const t = e.ticket;
      t.settled++;
      if (failure) {
        t.failed.push(e.item);
        t.lastFailure = failure;
      }
      if (t.settled === t.total) this.finish(t, ` of ${t.total}`);
      if (failure) {
        for (const w of this.flushWaiters) {
          if (e.seq < w.target) {
            w.failed.push(e.item);
            w.lastFailure = failure;
          }
        }
      }
    }
    this.settleFlushWaiters();
    this.admit();
    this.pump();
  }

  private finish(outcome: Outcome<T>, ofTotal: string): void {
    const last = outcome.lastFailure;
    if (!last) {
      outcome.done.resolve();
      return;
    }
    outcome.done.reject(
      new BatchFailedError<T>(
        `${outcome.failed.length}${ofTotal} items failed after ${last.attempts} attempt(s): ${messageOf(last.cause)}`,
        outcome.failed,
        last.attempts,
        { cause: last.cause },
      ),
    );
  }

  private settleFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    let lowest = this.buffer[0]?.seq ?? this.nextSeq;
    for (const b of this.active) lowest = Math.min(lowest, b.firstSeq);
    const still: FlushWaiter<T>[] = [];
    for (const w of this.flushWaiters) {
      if (lowest >= w.target) this.finish(w, '');
      else still.push(w);
    }
    this.flushWaiters = still;
  }
}
