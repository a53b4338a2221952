// A resumed pool starts from its stored rate, on SQLite and PostgreSQL: a first run leaves each pool's estimated
// trade rate in collection_state; a second run reads it back with the cursor, plans with it before any poll, and
// polls the busiest pool (by that rate) first, although the pool list names it last.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCollection } from '../../../src/run/collection-run.ts';
import type { PoolReport } from '../../../src/storage/doctor-sections.ts';
import { cli } from '../../support/collect-run.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const ENGINES = [
  ['SQLite', async () => `sqlite:///${path.join(tempDir(), 'rates.db')}`],
  ['PostgreSQL', async () => (await testSchema('gecko_rates')).url],
] as const;

const MARKET = { pools: 4, seed: 9, market: 'skewed', tradesPerSecond: 100, minTradesPerSecond: 2 } as const;

describe.each(ENGINES)('a resumed pool on %s', (_engine, makeUrl) => {
  it('starts from the rate stored by the run before', async () => {
    const dbUrl = await makeUrl();
    const first = await startCollection({
      simulate: MARKET,
      dbUrl,
      collectors: 1,
      callsPerMinute: 600,
      maxPollIntervalMs: 1000,
      batch: 'development',
      metricsFile: false,
    });
    const sim = first.simulator!;
    const trueRate = new Map(sim.pools.map((p) => [p.address, p.tradesPerSecond]));
    try {
      await first.ready;
      await until(
        () => sim.pools.every((p) => sim.polls().filter((q) => q.pool === p.address).length >= 3),
        30_000,
        'three polls of every pool',
      );
    } finally {
      first.stop();
      await first.done;
    }

    // doctor shows each pool's stored rate and coverage (all stored: no gap at 600 calls/min).
    const doctor = await cli(['doctor', '--db', dbUrl, '--json']);
    const pools = (JSON.parse(doctor.stdout) as { pools: PoolReport[] }).pools;
    expect(pools).toHaveLength(4);
    for (const p of pools) {
      expect(p.coverage?.tradeRatePerS).toBeGreaterThan(0);
      expect(p.coverage?.lastHour.stored).toBe(p.tradeCount);
      expect(p.coverage?.all.missed).toBe(0);
    }
    const text = await cli(['doctor', '--db', dbUrl]);
    expect(text.stdout).toMatch(/^coverage: trades stored of those made/m);

    // The busiest pool last in the list: without its stored rate it would be polled last.
    const ascending = [...sim.pools].sort((a, b) => a.tradesPerSecond - b.tradesPerSecond).map((p) => p.address);
    const second = await startCollection({
      simulate: MARKET,
      pools: ascending,
      dbUrl,
      collectors: 1,
      callsPerMinute: 30,
      batch: 'development',
      metricsFile: false,
    });
    try {
      for (const a of second.pools) {
        expect(a.rate, a.address).toBeDefined();
        expect(a.rate!.tradesPerSecond / trueRate.get(a.address)!).toBeGreaterThan(0.7);
        expect(a.rate!.tradesPerSecond / trueRate.get(a.address)!).toBeLessThan(1.4);
      }
      // Planned with the stored rates before any poll of this run.
      const figures = second.figures();
      expect(figures.schedule?.ratesKnown).toBe(4);
      for (const p of figures.pools)
        expect(p.estimatedRate).toBe(second.pools.find((a) => a.poolId === p.pool)!.rate!.tradesPerSecond);
      const sim2 = second.simulator!;
      await until(() => sim2.polls().length > 0, 20_000, 'the first poll of the second run');
      expect(sim2.polls()[0]!.pool).toBe(ascending.at(-1));
    } finally {
      second.stop();
      await second.done;
    }
  });
});
