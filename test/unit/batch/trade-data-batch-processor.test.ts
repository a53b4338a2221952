// TradeDataBatchProcessor over a fake TradeStore: presets, store totals in the stats, and where a batch goes
// when it cannot be written (fallback on a breaker rejection or exhausted retries, else back to the caller).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultTradeRetry, TradeDataBatchProcessor } from '../../../src/batch/trade-data-batch-processor.ts';
import type { StoreResult } from '../../../src/batch/trade-store.ts';
import { CircuitBreaker, CircuitBreakerError } from '../../../src/breaker/circuit-breaker.ts';
import { BATCH_PRESETS } from '../../../src/config/batch-config.ts';
import { BatchFailedError, ConfigError, WriteFailedError, WriterUnavailableError } from '../../../src/errors.ts';
import type { LockContentionMetrics } from '../../../src/protocol/lock-contention-metrics.ts';
import type { TradeRecord } from '../../../src/protocol/records.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { sqliteError, track } from './helpers.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2025, 7, 28) });
});
afterEach(() => {
  vi.useRealTimers();
});

const trades = (from: number, n: number): TradeRecord[] =>
  Array.from({ length: n }, (_, i) => syntheticTrade(from + i));

/** A store that stores by id and can be told to fail. */
class FakeStore {
  readonly ids = new Set<string>();
  readonly calls: TradeRecord[][] = [];
  failWith: ((batch: readonly TradeRecord[]) => unknown) | null = null;

  async storeTradeData(batch: readonly TradeRecord[]): Promise<StoreResult> {
    this.calls.push([...batch]);
    const err = this.failWith?.(batch);
    if (err) throw err;
    const result: StoreResult = { inserted: 0, duplicates: 0, rejected: [] };
    for (const t of batch) {
      if (t.id.startsWith('bad')) result.rejected.push({ id: t.id, reason: 'blockTimestamp is not a date' });
      else if (this.ids.has(t.id)) result.duplicates++;
      else {
        this.ids.add(t.id);
        result.inserted++;
      }
    }
    return result;
  }

  async getLockContentionMetrics(): Promise<LockContentionMetrics> {
    throw new Error('not used');
  }

  async close(): Promise<void> {}
}

describe('TradeDataBatchProcessor', () => {
  it('accepts a preset name or a BatchConfig', () => {
    const store = new FakeStore();
    expect(new TradeDataBatchProcessor(store, 'development').config).toEqual(BATCH_PRESETS.development);
    expect(new TradeDataBatchProcessor(store).config).toEqual(BATCH_PRESETS.production);
    expect(
      new TradeDataBatchProcessor(store, { maxBatchSize: 7, maxWaitMs: 10, maxRetries: 0, retryDelayMs: 1 }).config,
    ).toEqual({ maxBatchSize: 7, maxWaitMs: 10, maxRetries: 0, retryDelayMs: 1 });
    expect(() => new TradeDataBatchProcessor(store, 'staging' as 'production')).toThrow(ConfigError);
  });

  it('stores trades in batches and adds inserted/duplicates/rejected to the stats', async () => {
    const store = new FakeStore();
    const p = new TradeDataBatchProcessor(store, { maxBatchSize: 4, maxWaitMs: 100 });
    const bad = { ...syntheticTrade(99), id: 'bad-1' };
    await Promise.all([p.addTrades(trades(0, 6)), p.addTrades([...trades(4, 2), bad]), p.flushTrades()]);
    expect(store.calls.map((c) => c.length)).toEqual([4, 4, 1]);
    expect(p.getStats()).toMatchObject({
      totalProcessed: 9,
      totalBatches: 3,
      pendingItems: 0,
      avgBatchSize: 3,
      inserted: 6,
      duplicates: 2,
      rejected: 1,
      failedBatches: 0,
    });
  });

  it('sends a batch refused by the breaker straight to the fallback, without retrying it', async () => {
    const store = new FakeStore();
    store.failWith = () => new CircuitBreakerError('writer', 'OPEN', 5000);
    const deferred: TradeRecord[][] = [];
    const p = new TradeDataBatchProcessor(store, 'production', {
      fallback: async (items, error) => {
        expect(error).toBeInstanceOf(CircuitBreakerError);
        deferred.push([...items]);
      },
    });
    const batch = trades(0, 3);
    const done = track(p.addTrades(batch));
    await p.flushTrades();
    expect(done).toMatchObject({ settled: true, ok: true });
    expect(deferred).toEqual([batch]);
    expect(store.calls).toHaveLength(1);
    expect(p.getStats()).toMatchObject({
      fallbackBatches: 1,
      fallbackItems: 3,
      failedBatches: 0,
      retries: 0,
      totalProcessed: 0,
    });
  });

  it('with a breaker option, an isolated breaker never reaches the store and the fallback takes the batch', async () => {
    const store = new FakeStore();
    const breaker = new CircuitBreaker();
    breaker.isolate();
    const fallback = vi.fn(async () => undefined);
    const p = new TradeDataBatchProcessor(store, 'development', { breaker, fallback });
    const done = track(p.addTrades(trades(0, 2)));
    await p.flushTrades();
    expect(done).toMatchObject({ settled: true, ok: true });
    expect(store.calls).toHaveLength(0);
    expect(fallback).toHaveBeenCalledWith(trades(0, 2), expect.any(CircuitBreakerError));
    expect(breaker.getStats().rejections).toBe(1);
  });

  it('uses the fallback after retries run out on an infrastructure error', async () => {
    const store = new FakeStore();
    store.failWith = () => new WriterUnavailableError('writer crashed');
    const fallback = vi.fn(async () => undefined);
    const p = new TradeDataBatchProcessor(
      store,
      { maxBatchSize: 2, maxRetries: 2, retryDelayMs: 10 },
      { fallback, random: () => 0 },
    );
    const done = track(p.addTrades(trades(0, 2)));
    await vi.advanceTimersByTimeAsync(100);
    expect(store.calls).toHaveLength(3);
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(done).toMatchObject({ settled: true, ok: true });
  });

  it('without a fallback, the items go back to the caller (rejection and hook)', async () => {
    const store = new FakeStore();
    store.failWith = () => new CircuitBreakerError('writer', 'OPEN', 1000);
    const onBatchFailed = vi.fn();
    const p = new TradeDataBatchProcessor(store, { maxBatchSize: 2 }, { onBatchFailed });
    const batch = trades(0, 2);
    const err = await p.addTrades(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchFailedError);
    expect((err as BatchFailedError<TradeRecord>).items).toEqual(batch);
    expect(onBatchFailed).toHaveBeenCalledWith(batch, expect.any(BatchFailedError));
  });

  it('does not defer bad data: a constraint error goes back to the caller even with a fallback', async () => {
    const store = new FakeStore();
    store.failWith = () => new WriteFailedError('NOT NULL constraint failed', 'SQLITE_CONSTRAINT_NOTNULL');
    const fallback = vi.fn(async () => undefined);
    const p = new TradeDataBatchProcessor(store, { maxBatchSize: 1, maxRetries: 3 }, { fallback });
    const err = await p.addTrades(trades(0, 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BATCH_FAILED', attempts: 1 });
    expect(fallback).not.toHaveBeenCalled();
    expect(store.calls).toHaveLength(1);
  });

  it('defaultTradeRetry retries database trouble only', () => {
    expect(defaultTradeRetry(sqliteError('SQLITE_BUSY'))).toBe(true);
    expect(defaultTradeRetry(new WriterUnavailableError('gone'))).toBe(true);
    expect(defaultTradeRetry(new CircuitBreakerError('writer', 'OPEN', 1))).toBe(false);
    expect(defaultTradeRetry(sqliteError('SQLITE_CONSTRAINT_UNIQUE'))).toBe(false);
    expect(defaultTradeRetry({ code: 'ROW_INVALID' })).toBe(false);
  });

  it('close() flushes what is pending and leaves the store open', async () => {
    const store = new FakeStore();
    const closeStore = vi.spyOn(store, 'close');
    const p = new TradeDataBatchProcessor(store, 'production');
    void p.addTrades(trades(0, 5));
    await p.close();
    expect(store.ids.size).toBe(5);
    expect(closeStore).not.toHaveBeenCalled();
  });
});
