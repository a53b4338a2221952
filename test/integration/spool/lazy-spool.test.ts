// The funnel's spool file appears only when something is deferred: a clean run leaves no `<db>.spool`; a run
// whose writes are deferred (breaker shut) creates it, and the next manager on the same database replays it.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { urlFromDatabasePath } from '../../../src/config/database-url.ts';
import { LockOptimizedDatabaseManager } from '../../../src/funnel/lock-optimized-manager.ts';
import { syntheticTrade } from '../../../src/sim/synthetic-trades.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { tradeCount } from '../../support/trade-count.ts';

const dir = tempDir('gecko-lazy-spool-');

const trades = (from: number, n: number) => Array.from({ length: n }, (_, i) => syntheticTrade(from + i));
const spoolFiles = (dbPath: string) =>
  fs.readdirSync(path.dirname(dbPath)).filter((f) => f.startsWith(`${path.basename(dbPath)}.spool`));

describe('lazy spool file', () => {
  it('a run that defers nothing leaves no .spool file beside the database', async () => {
    const dbPath = path.join(dir, 'clean.db');
    const manager = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await manager.initialize();
    try {
      expect(await manager.storeTradeDataOptimized(trades(0, 50))).toMatchObject({ inserted: 50, deferred: false });
      expect(manager.deferredDepth().batches).toBe(0);
    } finally {
      await manager.close();
    }
    expect(tradeCount(dbPath)).toBe(50);
    expect(spoolFiles(dbPath)).toEqual([]);
  });

  it('the first deferral creates the spool; a new manager replays it into the database', async () => {
    const dbPath = path.join(dir, 'deferring.db');
    const spoolPath = `${dbPath}.spool`;
    const first = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await first.initialize();
    try {
      expect(await first.storeTradeDataOptimized(trades(0, 10))).toMatchObject({ inserted: 10, deferred: false });
      expect(fs.existsSync(spoolPath)).toBe(false);
      // Shut the gate as the supervisor does when the writer keeps crashing: senders spool instead.
      first.breaker.isolate();
      const acks = await Promise.all([
        first.write({ trades: trades(100, 20) }),
        first.write({ trades: trades(200, 30) }),
      ]);
      expect(acks.map((a) => a.deferred)).toEqual([true, true]);
      // Acknowledged as deferred means committed to the spool file, which now exists.
      expect(fs.existsSync(spoolPath)).toBe(true);
      expect(first.deferredDepth()).toMatchObject({ batches: 2, rows: 50 });
    } finally {
      await first.close();
    }
    expect(tradeCount(dbPath)).toBe(10);
    // Still holding two batches: the spool stays for the next start.
    expect(spoolFiles(dbPath)).toEqual(['deferring.db.spool']);

    const second = new LockOptimizedDatabaseManager({ url: urlFromDatabasePath(dbPath) });
    await second.initialize();
    try {
      // initialize() replayed the earlier run's batches before it resolved.
      expect(second.deferredDepth().batches).toBe(0);
      expect(second.replayedTotal).toBe(2);
    } finally {
      await second.close();
    }
    expect(tradeCount(dbPath)).toBe(60);
    // Drained, and no other run can be writing it (the database lock): the spool is gone.
    expect(spoolFiles(dbPath)).toEqual([]);
  });

  it("a spool at a path of the caller's choosing stays when drained (it may be shared)", async () => {
    const dbPath = path.join(dir, 'custom-spool.db');
    const spoolPath = path.join(dir, 'chosen.spool');
    const open = async () => {
      const m = new LockOptimizedDatabaseManager(
        { url: urlFromDatabasePath(dbPath) },
        { deferred: { path: spoolPath } },
      );
      await m.initialize();
      return m;
    };
    const first = await open();
    try {
      first.breaker.isolate();
      expect((await first.write({ trades: trades(300, 5) })).deferred).toBe(true);
    } finally {
      await first.close();
    }
    const second = await open();
    try {
      expect(second.replayedTotal).toBe(1);
      expect(second.deferredDepth().batches).toBe(0);
    } finally {
      await second.close();
    }
    expect(tradeCount(dbPath)).toBe(5);
    expect(fs.existsSync(spoolPath)).toBe(true);
  });
});
