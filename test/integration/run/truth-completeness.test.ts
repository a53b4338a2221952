// Completeness measured against the simulator's truth ledger, on SQLite and PostgreSQL: a real collection of a
// skewed market with bursts, polled often enough that no 300-trade window overflows, stores exactly the trades
// each pool made in an interval (stored / made = 1, pool by pool), counted by block time in the database.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedTradesByPool } from '../../../bench/stored-trades.ts';
import { startCollection } from '../../../src/run/collection-run.ts';
import { testSchema } from '../../support/postgres.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const ENGINES = [
  ['SQLite', async () => `sqlite:///${path.join(tempDir(), 'truth.db')}`],
  ['PostgreSQL', async () => (await testSchema('gecko_truth')).url],
] as const;

describe.each(ENGINES)('stored / made on %s', (_engine, makeUrl) => {
  it('is 1 for every pool of an interval when polls come faster than a window fills', async () => {
    const dbUrl = await makeUrl();
    const handle = await startCollection({
      // Busiest pool 20 trades/s, x5 in its bursts: at most ~100 new trades a poll, a third of a window.
      simulate: {
        pools: 6,
        seed: 21,
        market: 'skewed',
        tradesPerSecond: 20,
        bursts: { everySeconds: 6, seconds: 2, factor: 5, share: 1 },
      },
      dbUrl,
      collectors: 2,
      pollIntervalMs: 1000,
      callsPerMinute: 6000,
      batch: 'development',
      metricsFile: false,
    });
    const sim = handle.simulator!;
    try {
      await handle.ready;
      // The interval starts once every pool was polled (the first answer reaches before it) and lasts 4 s.
      await until(() => new Set(sim.polls().map((p) => p.pool)).size === sim.pools.length, 30_000, 'first polls');
      const fromMs = Math.ceil(Math.max(...firstPolls(sim.polls()).values()) / 1000) * 1000;
      const toMs = fromMs + 4000;
      // Two polls of every pool after the interval: the first may still be in flight when the run stops.
      await until(
        () => sim.pools.every((p) => sim.polls().filter((q) => q.pool === p.address && q.at >= toMs).length >= 2),
        60_000,
        'two polls of every pool after the interval',
      );
      handle.stop();
      const summary = await handle.done;
      expect(summary.gaps).toBe(0);
      expect(summary.errors).toBe(0);

      const truth = sim.truth({ fromMs, toMs });
      const stored = await storedTradesByPool(dbUrl, sim.network, fromMs, toMs);
      expect(truth.made).toBeGreaterThan(100);
      expect(truth.pools.some((p) => p.bursts.length > 0)).toBe(true);
      for (const p of truth.pools)
        expect({ pool: p.pool, stored: stored.get(p.pool) ?? 0 }).toEqual({ pool: p.pool, stored: p.made });
    } finally {
      handle.stop();
      await handle.done.catch(() => undefined);
    }
  });
});

function firstPolls(polls: readonly { at: number; pool: string }[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const p of polls) if (!first.has(p.pool)) first.set(p.pool, p.at);
  return first;
}
