// Checkpoints move to their own thread once the WAL grows: WAL pages then reach the database file while the writer
// keeps committing, and the writer checkpoints no more; before that (and with the thread off) the writer does it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import type { WriterMetrics } from '../../../src/protocol/messages.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

/** The checkpoints the SQLite writer ran itself. */
function writerCheckpoints(m: WriterMetrics): number {
  if (m.engine.engine !== 'sqlite') throw new Error('an SQLite writer was expected');
  return m.engine.checkpoints;
}

describe('checkpointer thread', () => {
  it('is not started while the WAL stays small; once it grows, the thread checkpoints and the writer stops', async () => {
    const db = path.join(tempDir(), 'ckpt.db');
    const m = new LockOptimizedDatabaseManager({
      url: urlFromDatabasePath(db),
      checkpointIntervalMs: 100,
      walAutocheckpointPages: 200,
    });
    await m.initialize();
    const threadCheckpoints = async () => (await m.getLockContentionMetrics()).writer.checkpoints ?? 0;
    await m.storeTradeDataOptimized(Array.from({ length: 50 }, (_, i) => syntheticTrade(i)));
    // A small WAL: the writer's own idle checkpoint keeps it so, and no checkpointer thread runs.
    await until(async () => writerCheckpoints(await m.getWriterMetrics()) > 0);
    expect(await threadCheckpoints()).toBe(0);
    const sizeBefore = fs.statSync(db).size;
    // One burst, no idle moment between its group commits: the WAL grows past 200 pages.
    await Promise.all(
      Array.from({ length: 20 }, (_, b) =>
        m.storeTradeDataOptimized(Array.from({ length: 500 }, (_, i) => syntheticTrade(1000 + b * 500 + i))),
      ),
    );
    await until(async () => (await threadCheckpoints()) > 0);
    const byWriter = writerCheckpoints(await m.getWriterMetrics());
    const byThread = await threadCheckpoints();
    await m.storeTradeDataOptimized(Array.from({ length: 500 }, (_, i) => syntheticTrade(50_000 + i)));
    await until(async () => (await threadCheckpoints()) > byThread);
    expect(writerCheckpoints(await m.getWriterMetrics())).toBe(byWriter);
    await until(() => fs.statSync(db).size > sizeBefore + 1_000_000);
    await m.close();
  });

  it('is off with checkpointIntervalMs 0: the writer checkpoints itself', async () => {
    const db = path.join(tempDir(), 'self.db');
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(db), checkpointIntervalMs: 0 });
    await m.initialize();
    await m.storeTradeDataOptimized(Array.from({ length: 500 }, (_, i) => syntheticTrade(i)));
    // Idle checkpoint after ~250 ms.
    await until(async () => writerCheckpoints(await m.getWriterMetrics()) > 0);
    expect((await m.getLockContentionMetrics()).writer.checkpoints).toBe(0);
    await m.close();
  });
});
