// The pool set follows the market while a collection runs: the simulator's top list changes mid-run, the new pool
// joins at once and gets trades stored, the pool that left is dropped after the grace period with its cursor
// kept, pool_membership records both, and /metrics stops exporting the dropped pool's series.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatabaseReport } from '../../../src/doctor/database-report.ts';
import { renderReport } from '../../../src/doctor/render-report.ts';
import { startCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

let sim: GeckoSimulator;

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 27, pools: 4, tradesPerSecond: 4, historySeconds: 120 });
});

afterAll(async () => {
  await sim?.close();
});

function reader(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  return {
    trades: (poolId: string) =>
      (db.prepare('SELECT count(*) AS n FROM trades WHERE pool_id = ?').get(poolId) as { n: number }).n,
    membership: (poolId: string) =>
      db.prepare('SELECT source, joined_at, left_at FROM pool_membership WHERE pool_id = ?').get(poolId) as
        | { source: string; joined_at: string; left_at: string | null }
        | undefined,
    cursor: (poolId: string) =>
      db.prepare('SELECT last_trade_id FROM collection_state WHERE pool_id = ?').get(poolId) as
        | { last_trade_id: string }
        | undefined,
    close: () => db.close(),
  };
}

describe('a pool set that follows the top list', () => {
  it('adds the pool that entered the list and drops the one that left after its grace period', async () => {
    const [a, b, c] = sim.pools.map((p) => p.address);
    const id = (address: string | undefined) => `${sim.network}_${address}`;
    sim.setListings({ top: [a!, b!] });
    const dbPath = path.join(tempDir(), 'market.db');
    const handle = await startCollection({
      network: sim.network,
      top: 2,
      baseUrl: sim.baseUrl,
      dbUrl: `sqlite:///${dbPath}`,
      collectors: 2,
      pollIntervalMs: 300,
      callsPerMinute: 6000,
      minSpacingMs: 0,
      batch: 'development',
      metricsPort: 0,
      metricsFile: false,
      refreshPoolsMs: 300,
      poolGraceMs: 1500,
      poolsFileCheckMs: 100,
    });
    const db = reader(dbPath);
    try {
      await handle.ready;
      await until(() => db.trades(id(b)) > 0, 30_000, 'trades of the second top pool');
      expect(db.membership(id(b))).toMatchObject({ source: 'top', left_at: null });
      expect(db.membership(id(c))).toBeUndefined();

      // b drops out of the top 2, c comes in.
      sim.setListings({ top: [a!, c!] });
      const changedAt = Date.now();
      await until(() => db.trades(id(c)) > 0, 30_000, 'trades of the pool that joined');
      expect(db.membership(id(c))).toMatchObject({ source: 'top', left_at: null });
      // Still collected during its grace period.
      expect(db.membership(id(b))?.left_at).toBeNull();
      await until(() => db.membership(id(b))?.left_at != null, 30_000, 'the pool that left to be dropped');
      expect(Date.now() - changedAt).toBeGreaterThanOrEqual(1500);
      expect(db.cursor(id(b))).toBeDefined();

      const pools = handle.figures().pools.map((p) => p.pool);
      expect(pools.sort()).toEqual([id(a), id(c)].sort());
      const metrics = await (await fetch(handle.metricsUrl!)).text();
      expect(metrics).toContain(`gecko_pool_polls_total{pool="${id(c)}"}`);
      expect(metrics).not.toContain(`pool="${id(b)}"`);

      // Dropped: no more polls of b, so no more trades of b.
      const polledB = () => sim.polls().filter((p) => p.pool === b).length;
      const before = polledB();
      const stored = db.trades(id(c));
      await until(() => db.trades(id(c)) > stored, 30_000, 'more trades of the pool that joined');
      expect(polledB()).toBe(before);

      // doctor says when each pool joined and left.
      const text = renderReport(buildDatabaseReport(dbPath), [], 80);
      const section = text.slice(text.indexOf('pool set (latest changes first): 2 in, 1 left'));
      expect(section).toMatch(new RegExp(`${id(b)}\n +top +joined \\S+ \\S+  left \\S+ \\S+`));
      expect(section).toMatch(new RegExp(`${id(c)}\n +top +joined \\S+ \\S+(\n|$)`));
    } finally {
      db.close();
      handle.stop();
      await handle.done;
    }
  });
});
