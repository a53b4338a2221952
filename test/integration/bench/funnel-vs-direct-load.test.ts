// The core promise, with real threads and a real file: 8 producers × 5k trades, 30 % overlap (bench:load runs
// the large sizes; this many already keeps 8 threads writing at once).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../bench/load-run.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir();

describe('8 threads × 5k trades with 30 % duplicates', () => {
  it('through the funnel: every unique trade stored once, zero lock errors, WAL, integrity ok', async () => {
    const r = await runLoad({
      manager: 'funnel',
      collectors: 8,
      trades: 40_000,
      duplicates: 0.3,
      dbPath: path.join(dir, 'funnel.db'),
    });
    expect(r.unique).toBe(28_000);
    expect(r.stored).toBe(r.unique);
    expect(r.inserted).toBe(r.unique);
    expect(r.duplicatesSeen).toBe(r.offered - r.unique);
    expect(r.failedBatches).toBe(0);
    expect(r.lockErrors).toBe(0);
    expect(r.integrity).toBe('ok');
    expect(r.journalMode).toBe('wal');
  });

  it('through DirectDatabaseManager: same rows, and the lock contention the funnel removes', async () => {
    const r = await runLoad({
      manager: 'direct',
      collectors: 8,
      trades: 40_000,
      duplicates: 0.3,
      dbPath: path.join(dir, 'direct.db'),
    });
    expect(r.stored).toBe(28_000);
    expect(r.failedBatches).toBe(0);
    expect(r.lockErrors + r.busyRetries).toBeGreaterThan(0);
    expect(r.integrity).toBe('ok');
  });
});
