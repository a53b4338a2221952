// close() during a long replay of deferred batches: it stops after the batch in flight instead of draining the
// whole spool first; what is left stays durable in the spool and the next manager replays it — nothing lost.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { withWriterSlowdown } from '../../../src/testing/index.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { tradeCount } from '../../support/trade-count.ts';
import { until } from '../../support/until.ts';

const dir = tempDir('gecko-close-replay-');
const BATCHES = 120;
const ROWS = 5;

describe('close() during a replay', () => {
  it('returns without draining the spool, and the next start replays the rest', async () => {
    const dbPath = path.join(dir, 'replay.db');
    // A writer 200× slower makes each replayed batch slow, so the replay is surely still running at close().
    const first = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) }, withWriterSlowdown(200));
    await first.initialize();
    first.breaker.isolate();
    const acks = await Promise.all(
      Array.from({ length: BATCHES }, (_, b) =>
        first.write({ trades: Array.from({ length: ROWS }, (_, i) => syntheticTrade(b * ROWS + i)) }),
      ),
    );
    expect(acks.every((a) => a.deferred)).toBe(true);
    expect(first.deferredDepth().batches).toBe(BATCHES);
    first.breaker.release();
    await until(() => first.replayedTotal > 0, 30_000, 'the replay to start');
    await first.close();
    const replayedBeforeClose = first.replayedTotal;
    expect(replayedBeforeClose).toBeLessThan(BATCHES);
    expect(tradeCount(dbPath)).toBe(replayedBeforeClose * ROWS);

    const second = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await second.initialize();
    try {
      expect(second.replayedTotal).toBe(BATCHES - replayedBeforeClose);
      expect(second.deferredDepth().batches).toBe(0);
    } finally {
      await second.close();
    }
    expect(tradeCount(dbPath)).toBe(BATCHES * ROWS);
  });
});
