// The small-batches alert end to end: a TradeDataBatchProcessor feeding a real write funnel (writer thread,
// temp SQLite file). A low-traffic stream whose batches the max-wait timer cuts must not raise it; tiny
// batches cut by size or by forced flushes under load must.

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TradeDataBatchProcessor } from '../../../src/batch/trade-data-batch-processor.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { CollectorMetricsSnapshot } from '../../../src/monitoring/metrics-snapshot.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('gecko-small-batches-');

async function withManager(
  name: string,
  maxBatchSize: number,
  fn: (manager: LockOptimizedDatabaseManager) => Promise<void>,
): Promise<CollectorMetricsSnapshot> {
  const manager = new LockOptimizedDatabaseManager(
    { url: urlFromDatabasePath(path.join(dir, `${name}.db`)) },
    { maxBatchSize },
  );
  await manager.initialize();
  try {
    await fn(manager);
    return await manager.getMetricsSnapshot();
  } finally {
    await manager.close();
  }
}

const alertNames = (s: CollectorMetricsSnapshot) => s.alerts.map((a) => a.name);

describe('small-batches alert over a real write funnel', () => {
  it('does not fire for a low-traffic stream whose batches the max-wait timer cuts', async () => {
    const snapshot = await withManager('quiet', 50, async (manager) => {
      const batcher = new TradeDataBatchProcessor(manager, {
        maxBatchSize: 50,
        maxWaitMs: 20,
        maxRetries: 0,
        retryDelayMs: 1,
      });
      // About one trade every 5 ms: a 20 ms wait collects a handful, never 50.
      for (let i = 0; i < 150; i++) {
        void batcher.addTrades([syntheticTrade(i)]);
        await sleep(5);
      }
      await batcher.close();
      const stats = batcher.getStats();
      expect(stats.totalProcessed).toBe(150);
      expect(stats.flushReasons.size).toBe(0);
      expect(stats.flushReasons.maxWait).toBeGreaterThanOrEqual(20);
    });
    const { batch } = snapshot;
    // Without the split by reason this run would be judged small (and was: npm start raised the alert).
    expect(batch.batches).toBeGreaterThanOrEqual(20);
    expect(batch.avgBatchSize).toBeLessThan(25);
    expect(batch.byReason?.maxWait.batches).toBeGreaterThanOrEqual(20);
    expect(batch.byReason?.size.batches).toBe(0);
    expect((batch.byReason?.maxWait.rows ?? 0) + (batch.byReason?.close.rows ?? 0)).toBe(150);
    expect(alertNames(snapshot)).not.toContain('small-batches');
  });

  it('fires when a caller forces flushes so often that batches stay tiny under load', async () => {
    const snapshot = await withManager('forced', 50, async (manager) => {
      const batcher = new TradeDataBatchProcessor(manager, {
        maxBatchSize: 50,
        maxWaitMs: 60_000,
        maxRetries: 0,
        retryDelayMs: 1,
      });
      for (let i = 0; i < 30; i++) {
        void batcher.addTrades([syntheticTrade(3 * i), syntheticTrade(3 * i + 1), syntheticTrade(3 * i + 2)]);
        await batcher.flushTrades();
      }
      await batcher.close();
      expect(batcher.getStats().flushReasons).toEqual({ size: 0, maxWait: 0, flush: 30, close: 0 });
    });
    expect(snapshot.batch.byReason?.flush).toEqual({ batches: 30, rows: 90 });
    const alert = snapshot.alerts.find((a) => a.name === 'small-batches');
    expect(alert).toMatchObject({ value: 3, threshold: 25 });
  });

  it('fires when maxBatchSize is set far below what the funnel expects and traffic fills every batch', async () => {
    // The manager is told the collectors batch 200 rows; this processor was misconfigured to 5.
    const snapshot = await withManager('misconfigured', 200, async (manager) => {
      const batcher = new TradeDataBatchProcessor(manager, {
        maxBatchSize: 5,
        maxWaitMs: 60_000,
        maxRetries: 0,
        retryDelayMs: 1,
      });
      await batcher.addTrades(Array.from({ length: 200 }, (_, i) => syntheticTrade(i)));
      await batcher.close();
      expect(batcher.getStats().flushReasons).toEqual({ size: 40, maxWait: 0, flush: 0, close: 0 });
    });
    expect(snapshot.batch.byReason?.size).toEqual({ batches: 40, rows: 200 });
    expect(alertNames(snapshot)).toContain('small-batches');
  });
});
