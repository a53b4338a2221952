// Checkpoints run on their own thread: WAL pages reach the database file while the writer keeps committing.
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
  it('copies committed pages into the database file while the writer stays open', async () => {
    const db = path.join(tempDir(), 'ckpt.db');
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(db), checkpointIntervalMs: 100 });
    await m.initialize();
    const sizeBefore = fs.statSync(db).size;
    for (let b = 0; b < 20; b++)
      await m.storeTradeDataOptimized(Array.from({ length: 500 }, (_, i) => syntheticTrade(b * 500 + i)));
    await until(async () => ((await m.getLockContentionMetrics()).writer.checkpoints ?? 0) > 0);
    // The writer never checkpointed (its own checkpoints are off when the thread runs), yet the file grew.
    expect(writerCheckpoints(await m.getWriterMetrics())).toBe(0);
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
