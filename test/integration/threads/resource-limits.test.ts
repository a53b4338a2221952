// The collector and checkpointer threads run with THREAD_RESOURCE_LIMITS (a small young generation) and the writer
// with V8's default, as each live isolate reports its heap limit in the process's diagnostic report.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { THREAD_RESOURCE_LIMITS } from '../../../src/common/thread-limits.ts';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { startCollection } from '../../../src/run/collection-run.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

interface WorkerHeap {
  javascriptHeap: { memoryLimit: number };
}

/** The heap limit (V8's heap_size_limit: old + young generation) of every live worker thread of this process. */
function workerHeapLimits(): number[] {
  const report = process.report.getReport() as unknown as { workers: WorkerHeap[] };
  return report.workers.map((w) => w.javascriptHeap.memoryLimit).sort((a, b) => a - b);
}

/** The heap limit a thread started with these resourceLimits gets on this machine (it varies with its memory). */
async function heapLimitOf(resourceLimits: typeof THREAD_RESOURCE_LIMITS | undefined): Promise<number> {
  const w = new Worker('require("node:worker_threads").parentPort.postMessage(0); setInterval(() => {}, 1000);', {
    eval: true,
    ...(resourceLimits ? { resourceLimits } : {}),
  });
  try {
    await new Promise((resolve) => w.once('message', resolve));
    const [limit] = workerHeapLimits();
    return limit!;
  } finally {
    await w.terminate();
  }
}

describe('thread resource limits', () => {
  it('collector threads get the limits, the writer keeps V8 default', async () => {
    const limited = await heapLimitOf(THREAD_RESOURCE_LIMITS);
    const stock = await heapLimitOf(undefined);
    // The young generation's share of the limit tells the two apart (3 MB against tens of MB).
    expect(stock).toBeGreaterThan(limited);
    const handle = await startCollection({
      simulate: true,
      dbUrl: `sqlite:///${path.join(tempDir(), 'limits.db')}`,
      collectors: 2,
      durationMs: 60_000,
      metricsFile: false,
    });
    try {
      await handle.ready;
      // Writer and two collectors (the checkpointer only starts once the WAL grows).
      await until(() => workerHeapLimits().length === 3, 30_000, 'the writer and two collector threads');
      expect(workerHeapLimits()).toEqual([limited, limited, stock]);
    } finally {
      handle.stop();
      await handle.done;
    }
  });

  it('the checkpointer thread gets the limits once the WAL grows', async () => {
    const limited = await heapLimitOf(THREAD_RESOURCE_LIMITS);
    const stock = await heapLimitOf(undefined);
    const m = new LockOptimizedDatabaseManager({
      url: urlFromDatabasePath(path.join(tempDir(), 'ckpt-limits.db')),
      checkpointIntervalMs: 100,
      walAutocheckpointPages: 200,
    });
    await m.initialize();
    try {
      expect(workerHeapLimits()).toEqual([stock]);
      // One burst with no idle moment between its group commits grows the WAL past 200 pages.
      await Promise.all(
        Array.from({ length: 20 }, (_, b) =>
          m.storeTradeDataOptimized(Array.from({ length: 500 }, (_, i) => syntheticTrade(b * 500 + i))),
        ),
      );
      await until(async () => ((await m.getLockContentionMetrics()).writer.checkpoints ?? 0) > 0);
      expect(workerHeapLimits()).toEqual([limited, stock]);
    } finally {
      await m.close();
    }
  });
});
