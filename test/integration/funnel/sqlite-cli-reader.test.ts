// WAL lets a second, real program read the file while the writer thread commits.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';

const run = promisify(execFile);

describe('a second program reading', () => {
  it('the sqlite3 CLI reads consistent, growing counts while batches commit', async () => {
    const db = path.join(tempDir(), 'shared.db');
    const m = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(db) });
    await m.initialize();
    let writing = true;
    const writer = (async () => {
      for (let b = 0; b < 60; b++) {
        await m.storeTradeDataOptimized(Array.from({ length: 500 }, (_, i) => syntheticTrade(b * 500 + i)));
      }
      writing = false;
    })();
    const counts: number[] = [];
    let readsDuringWrites = 0;
    while (writing) {
      // A plain sqlite3 without busy_timeout: it must not see "database is locked".
      const { stdout } = await run('sqlite3', [db, 'SELECT count(*) FROM trades;']);
      counts.push(Number(stdout.trim()));
      if (writing) readsDuringWrites++;
    }
    await writer;
    await m.close();
    expect(readsDuringWrites).toBeGreaterThan(0);
    // Each read sees whole batches only, and never goes backwards.
    for (const c of counts) expect(c % 500).toBe(0);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    const { stdout } = await run('sqlite3', [db, 'SELECT count(*) FROM trades; PRAGMA integrity_check;']);
    expect(stdout.trim().split('\n')).toEqual(['30000', 'ok']);
  });
});
