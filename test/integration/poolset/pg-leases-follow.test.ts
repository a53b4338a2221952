// On PostgreSQL the leases follow the pool set: a pool that enters the top list gets a lease row and is leased
// and collected; a pool dropped after its grace period has its lease released (no holder) and keeps its cursor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulator, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { cli } from '../../support/collect-run.ts';
import { type TestSchema, testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

let sim: GeckoSimulator;
let pg: TestSchema;

beforeAll(async () => {
  sim = await startGeckoSimulator({ seed: 29, pools: 4, tradesPerSecond: 4, historySeconds: 120 });
  pg = await testSchema('gecko_poolset');
});

afterAll(async () => {
  await sim?.close();
});

describe('PostgreSQL leases follow the pool set', () => {
  it('leases the pool that joined and releases the lease of the pool dropped', async () => {
    const [a, b, c] = sim.pools.map((p) => p.address);
    const id = (address: string | undefined) => `${sim.network}_${address}`;
    sim.setListings({ top: [a!, b!] });
    const handle = await startCollection({
      network: sim.network,
      top: 2,
      baseUrl: sim.baseUrl,
      dbUrl: pg.url,
      spoolPath: `${tempDir()}/pg.spool`,
      leaseTtlMs: 2000,
      collectors: 2,
      pollIntervalMs: 300,
      callsPerMinute: 6000,
      minSpacingMs: 0,
      batch: 'development',
      metricsFile: false,
      refreshPoolsMs: 300,
      poolGraceMs: 600,
      poolsFileCheckMs: 100,
    });
    const trades = (address: string | undefined) =>
      pg.count('SELECT count(*)::int AS n FROM trades WHERE pool_id = $1', [id(address)]);
    const holder = async (address: string | undefined) =>
      (await pg.query<{ holder: string | null }>('SELECT holder FROM pool_leases WHERE pool_id = $1', [id(address)]))[0]
        ?.holder;
    try {
      await until(async () => (await trades(b)) > 0, 30_000, 'trades of the second top pool');
      expect(await holder(b)).toBeTruthy();
      expect(await holder(c)).toBeUndefined();

      sim.setListings({ top: [a!, c!] });
      await until(async () => (await trades(c)) > 0, 30_000, 'trades of the pool that joined');
      // Awaited, not read once: under load a 2 s lease can lapse and be taken again between two reads.
      await until(async () => Boolean(await holder(c)), 30_000, 'a lease on the pool that joined');
      await until(async () => (await holder(b)) === null, 30_000, 'the lease of the dropped pool to be released');
      const left = async () =>
        await pg.query<{ left: boolean }>(
          'SELECT left_at IS NOT NULL AS left FROM pool_membership WHERE pool_id = $1',
          [id(b)],
        );
      // Recorded once the lease is given up.
      await until(async () => (await left())[0]?.left === true, 30_000, 'the dropped pool to be recorded as left');
      expect(await pg.count('SELECT count(*)::int AS n FROM collection_state WHERE pool_id = $1', [id(b)])).toBe(1);
      // Released and not taken again while the run goes on: the pool is no longer in this process's set.
      const stored = await trades(c);
      await until(async () => (await trades(c)) > stored, 30_000, 'more trades of the pool that joined');
      expect(await holder(b)).toBeNull();

      // doctor says when each pool joined and left.
      const doctor = await cli(['doctor', '--db', pg.url, '--json']);
      const report = JSON.parse(doctor.stdout) as { membership: { poolId: string; leftAt: string | null }[] };
      const byPool = new Map(report.membership.map((m) => [m.poolId, m.leftAt]));
      expect(byPool.get(id(b))).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
      expect(byPool.get(id(c))).toBeNull();
      expect(byPool.get(id(a))).toBeNull();
    } finally {
      handle.stop();
      await handle.done;
    }
  });
});
