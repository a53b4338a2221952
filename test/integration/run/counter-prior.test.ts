// The adaptive schedule's prior from the API's counters (pools/multi `transactions`), on a real collection of the
// simulator: before any trades poll every pool has a rate, so under a tight keyless budget the busiest pool is
// polled first although it is listed last and the quiet pools wait; a resumed pool keeps its stored rate over the
// counters' (SQLite and PostgreSQL, where pools come through leases).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCollection } from '../../../src/run/collection-run.ts';
import { type GeckoSimulatorOptions, startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

describe('the counters prior', () => {
  it('polls the busiest pool first under a tight keyless budget although it is listed last; quiet pools wait', async () => {
    const market = {
      pools: 12,
      seed: 13,
      market: 'skewed',
      tradesPerSecond: 40,
      minTradesPerSecond: 0.2,
      cacheSeconds: 2,
    } as const;
    const handle = await startCollection({
      simulate: market,
      dbUrl: `sqlite:///${path.join(tempDir(), 'prior.db')}`,
      collectors: 1,
      callsPerMinute: 30,
      maxPollIntervalMs: 20_000,
      batch: 'development',
      metricsFile: false,
      // Busiest last: without a prior the list's order is the order of the first polls.
      pools: await ascendingPools(market),
    });
    const sim = handle.simulator!;
    try {
      const byRate = [...sim.pools].sort((a, b) => b.tradesPerSecond - a.tradesPerSecond).map((p) => p.address);
      expect(handle.pools.at(-1)!.address).toBe(byRate[0]);
      // Every pool has the counters' rate before its first poll.
      for (const a of handle.pools) {
        const rate = sim.pools.find((p) => p.address === a.address)!.tradesPerSecond;
        expect(a.priorRate! / rate, a.address).toBeGreaterThan(0.8);
        expect(a.priorRate! / rate, a.address).toBeLessThan(1.25);
      }
      await handle.ready;
      const top = new Set(byRate.slice(0, 4));
      const quiet = new Set(byRate.slice(-6));
      // The four busiest have had their first poll (the rest wait for them)...
      await until(() => [...top].every((a) => sim.polls().some((p) => p.pool === a)), 30_000, 'the top pools polled');
      const polls = sim.polls();
      expect(polls[0]!.pool).toBe(byRate[0]);
      const lastTopFirst = Math.max(...[...top].map((a) => polls.findIndex((p) => p.pool === a)));
      // ... before any of the six quietest had its first.
      expect(polls.slice(0, lastTopFirst + 1).filter((p) => quiet.has(p.pool))).toEqual([]);
      // A quiet pool's first poll comes all the same, within about the max interval.
      await until(
        () => [...quiet].every((a) => sim.polls().some((p) => p.pool === a)),
        60_000,
        'the quiet pools polled',
      );
    } finally {
      handle.stop();
      await handle.done;
    }
  });
});

/** The market's pool addresses, quietest first. */
async function ascendingPools(market: GeckoSimulatorOptions): Promise<string[]> {
  const sim = await startGeckoSimulator(market);
  try {
    return [...sim.pools].sort((a, b) => a.tradesPerSecond - b.tradesPerSecond).map((p) => p.address);
  } finally {
    await sim.close();
  }
}

const ENGINES = [
  ['SQLite', async () => `sqlite:///${path.join(tempDir(), 'resumed-prior.db')}`],
  ['PostgreSQL', async () => (await testSchema('gecko_prior')).url],
] as const;

describe.each(ENGINES)('a resumed pool beside new ones on %s', (_engine, makeUrl) => {
  it("keeps its stored rate over the counters' prior; a new pool starts from the prior", async () => {
    const dbUrl = await makeUrl();
    // The same seed gives the same addresses whatever the rates: the first run's 3 pools are the second's first 3.
    const first = await startCollection({
      simulate: { pools: 3, seed: 21, tradesPerSecond: 5 },
      dbUrl,
      collectors: 1,
      callsPerMinute: 600,
      maxPollIntervalMs: 1000,
      batch: 'development',
      metricsFile: false,
    });
    const sim1 = first.simulator!;
    try {
      await first.ready;
      await until(
        () => sim1.pools.every((p) => sim1.polls().filter((q) => q.pool === p.address).length >= 3),
        30_000,
        'three polls of every pool',
      );
    } finally {
      first.stop();
      await first.done;
    }

    // Ten times busier now: the counters say 50/s for all five; 2 calls/min, so no trades poll answers for ~30 s.
    const second = await startCollection({
      simulate: { pools: 5, seed: 21, tradesPerSecond: 50 },
      dbUrl,
      collectors: 1,
      callsPerMinute: 2,
      metricsFile: false,
    });
    try {
      const resumed = new Set(sim1.pools.map((p) => p.address));
      for (const a of second.pools) {
        expect(a.priorRate! / 50, a.address).toBeGreaterThan(0.95);
        expect(a.priorRate! / 50, a.address).toBeLessThan(1.05);
        expect(a.rate !== undefined, a.address).toBe(resumed.has(a.address));
      }
      await second.ready;
      await until(() => second.figures().schedule?.ratesKnown === 5, 20_000, 'every pool planned');
      expect(second.simulator!.polls()).toEqual([]);
      for (const p of second.figures().pools) {
        const a = second.pools.find((x) => x.poolId === p.pool)!;
        if (a.rate) {
          expect(p.estimatedRate, a.address).toBe(a.rate.tradesPerSecond);
          expect(a.rate.tradesPerSecond).toBeLessThan(10);
        } else expect(p.estimatedRate, a.address).toBe(a.priorRate);
      }
    } finally {
      second.stop();
      await second.done;
    }
  });
});
