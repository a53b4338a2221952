// BatchProcessor: size and time flushes, retries with exponential backoff, failed batches handed back
// (never dropped), stats, and the backpressure bound. Time is vitest's fake clock; nothing sleeps.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchProcessor, type BatchProcessorOptions } from '../../../src/batch/batch-processor.ts';
import { BatchFailedError, ConfigError, StateError, WriteFailedError } from '../../../src/errors.ts';
import { manualProcess, sqliteError, track } from './helpers.ts';

const T0 = Date.UTC(2025, 7, 28, 16, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets promise chains run without moving time. */
const settle = () => vi.advanceTimersByTimeAsync(0);

function processor<T = number, R = void>(
  process: (batch: T[]) => Promise<R>,
  config: Partial<BatchProcessorOptions<T, R>['config'] & object> = {},
  extra: Partial<BatchProcessorOptions<T, R>> = {},
) {
  return new BatchProcessor<T, R>({
    process,
    config: { maxBatchSize: 3, maxWaitMs: 1000, maxRetries: 2, retryDelayMs: 100, ...config },
    random: () => 0,
    ...extra,
  });
}

describe('BatchProcessor: flushing', () => {
  it('flushes on size: full batches go at once, the remainder waits', async () => {
    const seen: number[][] = [];
    const p = processor(async (b: number[]) => void seen.push(b));
    const done = track(p.add([1, 2, 3, 4, 5, 6, 7]));
    await settle();
    expect(seen).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(p.getStats().pendingItems).toBe(1);
    expect(done.settled).toBe(false);

    await vi.advanceTimersByTimeAsync(999);
    expect(seen).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(done).toMatchObject({ settled: true, ok: true });
  });

  it('flushes on time, maxWaitMs after the first pending item (not the last)', async () => {
    const seen: Array<{ batch: number[]; at: number }> = [];
    const p = processor(async (b: number[]) => void seen.push({ batch: b, at: Date.now() }), { maxBatchSize: 10 });
    void p.add([1]);
    await vi.advanceTimersByTimeAsync(600);
    void p.add([2]);
    await vi.advanceTimersByTimeAsync(399);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([{ batch: [1, 2], at: T0 + 1000 }]);
    // The next item starts a new wait.
    void p.add([3]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.map((s) => s.batch)).toEqual([[1, 2], [3]]);
    expect(seen[1]!.at).toBe(T0 + 2000);
  });

  it('flush() sends pending items now and resolves once everything before it is handled', async () => {
    const { calls, process } = manualProcess<number, void>();
    const p = processor(process, { maxBatchSize: 2 });
    void p.add([1, 2, 3]);
    await settle();
    expect(calls.map((c) => c.batch)).toEqual([[1, 2]]);
    const flushed = track(p.flush());
    calls[0]!.resolve();
    await settle();
    expect(calls.map((c) => c.batch)).toEqual([[1, 2], [3]]);
    expect(flushed.settled).toBe(false);
    calls[1]!.resolve();
    await settle();
    expect(flushed).toMatchObject({ settled: true, ok: true });
    await expect(p.flush()).resolves.toBeUndefined();
  });

  it('keeps batches in order and runs one at a time by default', async () => {
    const { calls, process } = manualProcess<number, void>();
    const p = processor(process, { maxBatchSize: 2 });
    void p.add([1, 2, 3, 4, 5, 6]);
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await settle();
    expect(calls.map((c) => c.batch)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('close() flushes everything, waits for in-flight batches, then refuses new items', async () => {
    const { calls, process } = manualProcess<number, void>();
    const p = processor(process, { maxBatchSize: 2 });
    void p.add([1, 2, 3]);
    await settle();
    const closed = track(p.close());
    calls[0]!.resolve();
    await settle();
    expect(closed.settled).toBe(false);
    calls[1]!.resolve();
    await settle();
    expect(closed).toMatchObject({ settled: true, ok: true });
    await expect(p.add([4])).rejects.toBeInstanceOf(StateError);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('BatchProcessor: flush reasons', () => {
  it('tells process why each batch was cut and counts the reasons', async () => {
    const seen: Array<{ batch: number[]; reason: string }> = [];
    const p = new BatchProcessor<number, void>({
      process: async (batch, info) => void seen.push({ batch, reason: info.reason }),
      config: { maxBatchSize: 3, maxWaitMs: 1000, maxRetries: 0, retryDelayMs: 1 },
    });
    void p.add([1, 2, 3, 4]);
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    void p.add([5]);
    await vi.advanceTimersByTimeAsync(10);
    await p.flush();
    void p.add([6, 7]);
    await settle();
    await p.close();
    expect(seen).toEqual([
      { batch: [1, 2, 3], reason: 'size' },
      { batch: [4], reason: 'maxWait' },
      { batch: [5], reason: 'flush' },
      { batch: [6, 7], reason: 'close' },
    ]);
    expect(p.getStats().flushReasons).toEqual({ size: 1, maxWait: 1, flush: 1, close: 1 });
  });

  it('a flush does not relabel a batch that was full, or whose wait had already run out', async () => {
    const { calls, process } = manualProcess<number, void>();
    const reasons: string[] = [];
    const p = new BatchProcessor<number, void>({
      process: (batch, info) => {
        reasons.push(info.reason);
        return process(batch);
      },
      config: { maxBatchSize: 2, maxWaitMs: 100, maxRetries: 0, retryDelayMs: 1 },
    });
    // One batch runs at a time, so each later batch waits for the slot while the test arranges its state.
    void p.add([1, 2]);
    await settle();
    void p.add([3]);
    await vi.advanceTimersByTimeAsync(150);
    const flushes = [p.flush()];
    calls[0]!.resolve();
    await settle();
    void p.add([4, 5]);
    flushes.push(p.flush());
    calls[1]!.resolve();
    await settle();
    void p.add([6]);
    flushes.push(p.flush());
    calls[2]!.resolve();
    await settle();
    calls[3]!.resolve();
    await Promise.all(flushes);
    expect(calls.map((c) => c.batch)).toEqual([[1, 2], [3], [4, 5], [6]]);
    expect(reasons).toEqual(['size', 'maxWait', 'size', 'flush']);
    expect(p.getStats().flushReasons).toEqual({ size: 2, maxWait: 1, flush: 1, close: 0 });
  });
});

describe('BatchProcessor: retries and failures', () => {
  it('retries a failed batch with exponential backoff, then succeeds', async () => {
    const attempts: number[] = [];
    const p = processor(
      async (_b: number[]) => {
        attempts.push(Date.now());
        if (attempts.length <= 2) throw new WriteFailedError('database is locked', 'SQLITE_BUSY');
      },
      { maxRetries: 3, retryDelayMs: 100 },
    );
    const done = track(p.add([1, 2, 3]));
    await vi.advanceTimersByTimeAsync(1000);
    expect(attempts.map((t) => t - T0)).toEqual([0, 100, 300]);
    expect(done).toMatchObject({ settled: true, ok: true });
    expect(p.getStats()).toMatchObject({ retries: 2, totalBatches: 1, totalProcessed: 3, failedBatches: 0 });
  });

  it('adds jitter below the nominal delay, capped by maxRetryDelayMs', () => {
    const p = new BatchProcessor<number, void>({
      process: async () => undefined,
      config: { retryDelayMs: 100 },
      jitter: 0.5,
      random: () => 0.5,
      maxRetryDelayMs: 1000,
    });
    expect([0, 1, 2, 3, 4].map((a) => p.retryDelay(a))).toEqual([75, 150, 300, 600, 750]);
  });

  it('hands exhausted batches back: the add promise rejects with the items and the hook gets them', async () => {
    const boom = new WriteFailedError('disk full', 'SQLITE_FULL');
    const onBatchFailed = vi.fn();
    const process = vi.fn(async (_b: number[]) => {
      throw boom;
    });
    const p = processor(process, { maxRetries: 2 }, { onBatchFailed });
    const first = track(p.add([1, 2]));
    const second = track(p.add([3, 4]));
    await vi.advanceTimersByTimeAsync(2000);

    expect(process).toHaveBeenCalledTimes(6); // two batches ([1,2,3], [4]) × (1 + 2 retries)
    expect(first.error).toBeInstanceOf(BatchFailedError);
    expect(first.error).toMatchObject({ code: 'BATCH_FAILED', items: [1, 2], attempts: 3, cause: boom });
    expect(second.error).toMatchObject({ items: [3, 4], attempts: 3 });
    expect(onBatchFailed).toHaveBeenCalledTimes(2);
    expect(onBatchFailed.mock.calls.map((c) => c[0])).toEqual([[1, 2, 3], [4]]);
    expect(onBatchFailed.mock.calls[0]![1]).toMatchObject({ items: [1, 2, 3], cause: boom });
    expect(p.getStats()).toMatchObject({ failedBatches: 2, failedItems: 4, retries: 4, totalProcessed: 0 });
  });

  it('flush() also rejects with every failed item it covered', async () => {
    const p = processor(
      async (b: number[]) => {
        if (b.includes(2)) throw sqliteError('SQLITE_IOERR');
      },
      { maxBatchSize: 2, maxRetries: 0 },
    );
    const added = track(p.add([1, 2, 3]));
    const flushed = p.flush().catch((e: unknown) => e);
    await settle();
    expect(await flushed).toMatchObject({ items: [1, 2], attempts: 1 });
    expect(added.error).toMatchObject({ items: [1, 2] });
  });

  it('shouldRetry=false gives up at once (e.g. a validation error)', async () => {
    const process = vi.fn(async (_b: number[]) => {
      throw sqliteError('SQLITE_CONSTRAINT_CHECK');
    });
    const p = processor(
      process,
      { maxRetries: 5 },
      { shouldRetry: (err) => (err as { code?: string }).code === 'SQLITE_BUSY' },
    );
    const done = track(p.add([1]));
    await p.flush().catch(() => undefined);
    expect(process).toHaveBeenCalledTimes(1);
    expect(done.error).toMatchObject({ items: [1], attempts: 1 });
    expect(p.getStats().retries).toBe(0);
  });

  it('a resolving fallback takes the batch (handled, not failed); a rejecting one hands it back', async () => {
    const taken: number[][] = [];
    let fallbackWorks = true;
    const p = processor(
      async (_b: number[]) => {
        throw sqliteError('SQLITE_BUSY');
      },
      { maxRetries: 1, maxBatchSize: 2 },
      {
        fallback: async (items) => {
          if (!fallbackWorks) throw new Error('spool unavailable');
          taken.push([...items]);
        },
      },
    );
    await vi.advanceTimersByTimeAsync(0);
    const ok = track(p.add([1, 2]));
    await vi.advanceTimersByTimeAsync(500);
    expect(ok).toMatchObject({ settled: true, ok: true });
    expect(taken).toEqual([[1, 2]]);

    fallbackWorks = false;
    const bad = track(p.add([3, 4]));
    await vi.advanceTimersByTimeAsync(500);
    expect(bad.error).toMatchObject({ items: [3, 4] });
    expect(p.getStats()).toMatchObject({ fallbackBatches: 1, fallbackItems: 2, failedBatches: 1 });
  });
});

describe('BatchProcessor: stats', () => {
  it('counts batches, sizes, processing time and the last flush time', async () => {
    const p = processor((b: number[]) => new Promise<void>((resolve) => setTimeout(resolve, b.length * 10)), {
      maxBatchSize: 4,
      maxWaitMs: 500,
    });
    expect(p.getStats()).toEqual({
      totalProcessed: 0,
      totalBatches: 0,
      pendingItems: 0,
      blockedItems: 0,
      inFlightItems: 0,
      avgBatchSize: 0,
      avgProcessingMs: 0,
      lastFlushTime: null,
      flushReasons: { size: 0, maxWait: 0, flush: 0, close: 0 },
      failedBatches: 0,
      failedItems: 0,
      retries: 0,
      fallbackBatches: 0,
      fallbackItems: 0,
    });
    void p.add([1, 2, 3, 4, 5, 6]);
    await settle();
    expect(p.getStats()).toMatchObject({ pendingItems: 2, inFlightItems: 4, lastFlushTime: T0 });
    await vi.advanceTimersByTimeAsync(40); // first batch: 40 ms
    expect(p.getStats()).toMatchObject({ totalBatches: 1, totalProcessed: 4, avgProcessingMs: 40 });
    await vi.advanceTimersByTimeAsync(460); // remainder waits out maxWaitMs from T0
    expect(p.getStats().lastFlushTime).toBe(T0 + 500);
    await vi.advanceTimersByTimeAsync(20);
    expect(p.getStats()).toMatchObject({
      totalProcessed: 6,
      totalBatches: 2,
      pendingItems: 0,
      inFlightItems: 0,
      avgBatchSize: 3,
      avgProcessingMs: 30,
    });
  });
});

describe('BatchProcessor: backpressure', () => {
  it('add waits for room once maxPendingItems are held, and memory never exceeds the bound', async () => {
    const { calls, process } = manualProcess<number, void>();
    const p = processor(process, { maxBatchSize: 2 }, { maxPendingItems: 4 });
    const held = () => p.getStats().pendingItems + p.getStats().inFlightItems;

    const s1 = p.submit([1, 2]);
    const s2 = p.submit([3, 4]);
    const s3 = p.submit([5, 6, 7]);
    const a1 = track(s1.accepted);
    const a2 = track(s2.accepted);
    const a3 = track(s3.accepted);
    const d3 = track(s3.done);
    await settle();
    expect([a1.settled, a2.settled, a3.settled]).toEqual([true, true, false]);
    expect(p.getStats()).toMatchObject({ inFlightItems: 2, pendingItems: 2, blockedItems: 3 });

    calls[0]!.resolve();
    await settle();
    expect(held()).toBeLessThanOrEqual(4);
    expect(p.getStats().blockedItems).toBe(1);
    expect(a3.settled).toBe(false);

    calls[1]!.resolve();
    await settle();
    expect(a3.settled).toBe(true);
    expect(held()).toBeLessThanOrEqual(4);

    // A flush covers items still blocked by backpressure, too.
    const flushed = track(p.flush());
    for (let i = 2; i < 4; i++) {
      await settle();
      calls[i]!.resolve();
    }
    await settle();
    expect(calls.map((c) => c.batch)).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
    expect(flushed).toMatchObject({ settled: true, ok: true });
    expect(d3).toMatchObject({ settled: true, ok: true });
  });

  it('a single add larger than the bound is admitted in chunks and fully processed in order', async () => {
    const seen: number[] = [];
    const p = processor(async (b: number[]) => void seen.push(...b), { maxBatchSize: 3 }, { maxPendingItems: 4 });
    const items = Array.from({ length: 20 }, (_, i) => i);
    const done = track(p.add(items));
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual(items);
    expect(done).toMatchObject({ settled: true, ok: true });
  });

  it('rejects a bound smaller than one batch', () => {
    expect(() => processor(async () => undefined, { maxBatchSize: 10 }, { maxPendingItems: 5 })).toThrow(ConfigError);
  });
});
