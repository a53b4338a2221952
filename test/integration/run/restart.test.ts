// Two collections in a row against one running simulator, same database: the second resumes from the cursors
// and stores only trades the first did not (nothing is sent twice), and every served trade ends up stored once.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { tempDir } from '../../support/temp-dir.ts';

let sim: GeckoSimulator;
const dbPath = path.join(tempDir(), 'restart.db');

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 11, pools: 4, tradesPerSecond: 5, historySeconds: 600 });
});

afterAll(async () => {
  await sim?.close();
});

describe('restart', () => {
  it('resumes from the stored cursors without storing anything twice', async () => {
    const common = {
      network: sim.network,
      pools: sim.pools.map((p) => p.address),
      baseUrl: sim.baseUrl,
      dbUrl: `sqlite:///${dbPath}`,
      collectors: 2,
      pollIntervalMs: 400,
      callsPerMinute: 6000,
      minSpacingMs: 0,
      batch: 'development' as const,
      durationMs: 1500,
    };
    const first = await runCollection(common);
    expect(first.stored).toBeGreaterThan(4 * 300 - 1);
    expect(first.errors).toBe(0);

    const db = new Database(dbPath, { readonly: true });
    try {
      const count = () => (db.prepare('SELECT count(*) AS n FROM trades').get() as { n: number }).n;
      expect(count()).toBe(first.stored);
      const cursors = db
        .prepare('SELECT pool_id, last_trade_id, last_trade_timestamp FROM collection_state ORDER BY pool_id')
        .all() as {
        pool_id: string;
        last_trade_id: string;
        last_trade_timestamp: string;
      }[];
      expect(cursors.map((c) => c.pool_id).sort()).toEqual(sim.pools.map((p) => `solana_${p.address}`).sort());
      // Each cursor names a stored trade, and the newest one of its pool.
      for (const c of cursors) {
        const newest = db.prepare('SELECT max(block_timestamp) AS t FROM trades WHERE pool_id = ?').get(c.pool_id) as {
          t: string;
        };
        expect(newest.t).toBe(c.last_trade_timestamp);
        expect(db.prepare('SELECT 1 FROM trades WHERE id = ?').get(c.last_trade_id)).toBeDefined();
      }

      const second = await runCollection(common);
      // Every trade of the first responses that the first run had stored was dropped before sending.
      expect(second.storeDuplicates).toBe(0);
      expect(second.repeats).toBeGreaterThan(0);
      expect(second.stored).toBeGreaterThan(0);
      expect(second.gaps).toBe(0);
      expect(count()).toBe(first.stored + second.stored);
      // Everything the simulator ever served (both runs) is stored, once.
      expect(count()).toBe(sim.stats().distinctTradesServed);
    } finally {
      db.close();
    }
  });
});
