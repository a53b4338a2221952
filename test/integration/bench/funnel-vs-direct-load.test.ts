// The core promise, with real threads and a real file: 8 producers × 25k trades, 30 % overlap.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../bench/load-run.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir();

describe('8 threads × 25k trades with 30 % duplicates', () => {
  it('through the funnel: every unique trade stored once, zero lock errors, WAL, integrity ok', async () => {
    const r = await runLoad({
      manager: 'funnel',
      collectors: 8,
      trades: 200_000,
      duplicates: 0.3,
      dbPath: path.join(dir, 'funnel.db'),
    });
    expect(r.unique).toBe(140_000);
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
      trades: 200_000,
      duplicates: 0.3,
      dbPath: path.join(dir, 'direct.db'),
    });
    expect(r.stored).toBe(140_000);
    expect(r.failedBatches).toBe(0);
    expect(r.lockErrors + r.busyRetries).toBeGreaterThan(0);
    expect(r.integrity).toBe('ok');
  });
});
