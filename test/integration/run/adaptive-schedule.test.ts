// The adaptive schedule, the default, on a real collection of the simulator: a busy pool is polled before its
// 300-trade window overflows when the budget allows; a budget too small says so in one warning line; the rate
// estimate follows a burst; a gap's estimated missed trades match the truth ledger.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { storedTradesByPool } from '../../../bench/stored-trades.ts';
import { type CollectionHandle, startCollection } from '../../../src/run/collection-run.ts';
import { rateAt } from '../../../src/sim/sim-rate-schedule.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { until } from '../../support/until.ts';

const dbUrl = (name: string) => `sqlite:///${tempDir()}/${name}.db`;

async function stopped(handle: CollectionHandle) {
  handle.stop();
  return handle.done;
}

/** A logger whose lines the test reads. */
function capturedLogger(): { logger: pino.Logger; lines: () => { msg: string; level: number }[] } {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text.push(chunk.toString());
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      text
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; level: number }),
  };
}

// Four independent collections (a simulator and a database each) that mostly wait on the simulated market:
// side by side.
describe.concurrent('the adaptive schedule (collect with no schedule flags)', () => {
  it('polls a busy pool before its window overflows when the budget covers it: no gap, every trade stored', async () => {
    // 200 trades/s fills a window in 1.5 s; the fixed default (2 s with simulate) would lose a quarter of them.
    const url = dbUrl('busy');
    const handle = await startCollection({
      simulate: { pools: 4, seed: 5, market: 'skewed', tradesPerSecond: 200, minTradesPerSecond: 1 },
      dbUrl: url,
      collectors: 2,
      callsPerMinute: 600,
      batch: 'development',
      metricsFile: false,
    });
    const sim = handle.simulator!;
    try {
      await handle.ready;
      const busiest = [...sim.pools].sort((a, b) => b.tradesPerSecond - a.tradesPerSecond)[0]!;
      await until(() => sim.polls().some((p) => p.pool === busiest.address), 20_000, 'first poll of the busiest');
      const fromMs = Math.ceil(sim.polls().find((p) => p.pool === busiest.address)!.at / 1000) * 1000 + 1000;
      const toMs = fromMs + 3000;
      await until(
        () => sim.polls().filter((p) => p.pool === busiest.address && p.at > toMs + 200).length >= 2,
        20_000,
        'polls after the interval',
      );
      const summary = await stopped(handle);
      expect(summary.gaps).toBe(0);
      const made = sim.truth({ fromMs, toMs, pool: busiest.address }).made;
      const stored = (await storedTradesByPool(url, sim.network, fromMs, toMs)).get(busiest.address) ?? 0;
      expect(made).toBeGreaterThan(400);
      expect(stored).toBe(made);
      expect(summary.budget?.mode).toBe('adaptive');
      expect(summary.budget?.short).toBeNull();
    } finally {
      await stopped(handle).catch(() => undefined);
    }
  });

  it('says in one warning line when the budget cannot cover the pools, with the budget that would', async () => {
    const log = capturedLogger();
    const handle = await startCollection({
      simulate: { pools: 4, seed: 6, market: 'skewed', tradesPerSecond: 200, minTradesPerSecond: 1 },
      dbUrl: dbUrl('short'),
      collectors: 1,
      callsPerMinute: 20,
      metricsFile: false,
      logger: log.logger,
    });
    try {
      await handle.ready;
      // The first plans count pools not polled yet at the max interval; once every rate is known, the line says
      // what the busiest pool loses.
      const shortLines = () => log.lines().filter((l) => l.msg.startsWith('budget short:'));
      await until(
        () => shortLines().some((l) => /about [\d,]{7,} trades/.test(l.msg)),
        20_000,
        'the budget-short line',
      );
      const line = shortLines().find((l) => /about [\d,]{7,} trades/.test(l.msg))!;
      expect(line.level).toBe(40);
      const m =
        /^budget short: (\d+) pools? will miss about ([\d,]+) trades\/hour at current rates; a budget of ([\d,]+) calls\/min would cover them$/.exec(
          line.msg,
        );
      expect(m, line.msg).not.toBeNull();
      // The busiest pool alone makes 720,000 trades an hour; 20 calls/min store at most 360,000.
      expect(Number(m![2]!.replace(/,/g, ''))).toBeGreaterThan(300_000);
      expect(Number(m![3]!.replace(/,/g, ''))).toBeGreaterThan(40);
      const plan = log.lines().find((l) => l.msg.startsWith('budget plan'))!;
      expect(plan.msg).toMatch(/the pools need [\d,]+ calls\/min against a budget of 20/);
    } finally {
      await stopped(handle).catch(() => undefined);
    }
  });

  it("follows a burst: the pool's estimated rate jumps with it and comes back after it", async () => {
    const handle = await startCollection({
      // One pool, 60 trades/s, x10 for 3 s out of every 16.
      simulate: {
        pools: 1,
        seed: 7,
        tradesPerSecond: 60,
        bursts: { everySeconds: 16, seconds: 3, factor: 10, share: 1 },
      },
      dbUrl: dbUrl('burst'),
      collectors: 1,
      callsPerMinute: 1200,
      batch: 'development',
      metricsFile: false,
    });
    const sim = handle.simulator!;
    const pool = sim.pools[0]!;
    const estimate = () => handle.figures().pools[0]?.estimatedRate ?? 0;
    try {
      await handle.ready;
      await until(() => rateAt(pool, Date.now()) < 100 && estimate() > 0, 30_000, 'a quiet spell');
      await until(() => rateAt(pool, Date.now()) > 100, 30_000, 'a burst');
      await until(() => estimate() > 240, 3000, 'the estimate in the burst');
      await until(() => rateAt(pool, Date.now()) < 100, 5000, 'the end of the burst');
      await until(() => estimate() < 120, 10_000, 'the estimate after the burst');
    } finally {
      await stopped(handle).catch(() => undefined);
    }
  });

  it("estimates the trades its gaps missed within 20 % of the simulator's truth (a few dozen gaps; bench:completeness checks hundreds)", async () => {
    // Steady pools at 200 trades/s with 120 calls/min for 8 pools: a poll every ~4 s sees 300 of ~800 trades.
    const url = dbUrl('missed');
    const handle = await startCollection({
      simulate: { pools: 8, seed: 8, tradesPerSecond: 200 },
      dbUrl: url,
      collectors: 2,
      callsPerMinute: 120,
      metricsFile: false,
    });
    const sim = handle.simulator!;
    try {
      await handle.ready;
      // Every pool polled five times: at least four gaps each.
      await until(
        () => sim.pools.every((p) => sim.polls().filter((q) => q.pool === p.address).length >= 5),
        40_000,
        'five polls of every pool',
      );
      const summary = await stopped(handle);
      let trueMissed = 0;
      for (const p of sim.pools) {
        const polls = sim.polls().filter((q) => q.pool === p.address);
        // From the first answer's oldest trade (300 before the first poll) to the last poll, in whole seconds.
        const fromMs = Math.ceil(polls[0]!.at / 1000) * 1000;
        const toMs = Math.floor(polls.at(-1)!.at / 1000) * 1000;
        const made = sim.truth({ fromMs, toMs, pool: p.address }).made;
        const stored = (await storedTradesByPool(url, sim.network, fromMs, toMs)).get(p.address) ?? 0;
        trueMissed += made - stored;
      }
      expect(summary.gaps).toBeGreaterThanOrEqual(32);
      expect(trueMissed).toBeGreaterThan(2000);
      expect(summary.coverage.estimatedMissed / trueMissed).toBeGreaterThan(0.8);
      expect(summary.coverage.estimatedMissed / trueMissed).toBeLessThan(1.2);
      expect(summary.coverage.made).toBe(summary.coverage.stored + summary.coverage.estimatedMissed);
    } finally {
      await stopped(handle).catch(() => undefined);
    }
  });
});
