import { describe, expect, it } from 'vitest';
import {
  evaluateSchedule,
  type FairOracleOptions,
  fairOracle,
  greedySchedule,
  type OraclePoll,
  scheduleViolation,
  simTradeSource,
  type TradeSource,
  tradeTimesSource,
} from '../../../bench/completeness-fair-oracle.ts';
import { createSimPool } from '../../../src/sim/sim-trade-source.ts';

/** A small deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function randomTimes(next: () => number, count: number, fromMs: number, toMs: number): number[] {
  return Array.from({ length: count }, () => fromMs + Math.floor(next() * (toMs - fromMs))).sort((a, b) => a - b);
}

/** The best any schedule stores: every set of call times (whole ms, paced) and every pool for each call. */
function bruteForce(sources: readonly TradeSource[], o: FairOracleOptions): number {
  const horizon = o.toMs + o.tailMs;
  let best = 0;
  const polls: OraclePoll[] = [];
  const walk = (earliest: number) => {
    if (scheduleViolation(polls, o) === null)
      best = Math.max(
        best,
        evaluateSchedule(sources, polls, o).reduce((s, x) => s + x, 0),
      );
    for (let t = earliest; t < horizon; t++)
      for (let pool = 0; pool < sources.length; pool++) {
        polls.push({ pool, atMs: t });
        walk(t + o.intervalMs);
        polls.pop();
      }
  };
  walk(o.fromMs);
  return best;
}

describe('fair completeness oracle', () => {
  it('evaluates a schedule exactly: the newest window, nothing new from a cached answer, only the interval', () => {
    const src = tradeTimesSource([-1, 0, 1, 2, 3, 4, 5, 9, 12]);
    const o = { fromMs: 0, toMs: 10, cacheMs: 0, window: 3 };
    // At 2: trades 0,1,2. At 5: 3,4,5. At 12: the newest three are 5, 9, 12: only 9 is new and in the interval.
    expect(
      evaluateSchedule(
        [src],
        [
          { pool: 0, atMs: 2 },
          { pool: 0, atMs: 5 },
          { pool: 0, atMs: 12 },
        ],
        o,
      ),
    ).toEqual([7]);
    // At 5 first: 3,4,5 (0..2 are lost). A poll 3 ms later under a 4 ms cache gets the cached answer.
    expect(
      evaluateSchedule(
        [src],
        [
          { pool: 0, atMs: 5 },
          { pool: 0, atMs: 8 },
        ],
        { ...o, cacheMs: 4 },
      ),
    ).toEqual([3]);
    expect(
      evaluateSchedule(
        [src],
        [
          { pool: 0, atMs: 5 },
          { pool: 0, atMs: 9 },
        ],
        { ...o, cacheMs: 4 },
      ),
    ).toEqual([4]);
  });

  it('equals the brute-force optimum for one pool with 1 ms cells', () => {
    const next = lcg(7);
    for (let trial = 0; trial < 12; trial++) {
      const src = tradeTimesSource(randomTimes(next, 6 + Math.floor(next() * 14), -3, 20));
      const o: FairOracleOptions = {
        fromMs: 0,
        toMs: 12,
        tailMs: 5,
        intervalMs: 3,
        cacheMs: trial % 2 === 0 ? 0 : 5,
        window: 3,
        cellsPerInterval: 3,
      };
      const r = fairOracle([src], o);
      expect(r.cellMs).toBe(1);
      const best = bruteForce([src], o);
      expect(r.bound.stored).toBe(best);
      expect(r.primal.stored).toBe(best);
    }
  });

  it('bounds every schedule from above and gives a feasible one below the optimum, several pools', () => {
    const next = lcg(11);
    for (let trial = 0; trial < 10; trial++) {
      const sources = [0, 1].map(() => tradeTimesSource(randomTimes(next, 4 + Math.floor(next() * 16), -3, 16)));
      for (const cellsPerInterval of [1, 2, 3]) {
        const o: FairOracleOptions = {
          fromMs: 0,
          toMs: 11,
          tailMs: 4,
          intervalMs: 3,
          cacheMs: trial % 2 === 0 ? 0 : 4,
          window: 3,
          cellsPerInterval,
        };
        const r = fairOracle(sources, o);
        const best = bruteForce(sources, o);
        expect(r.bound.stored).toBeGreaterThanOrEqual(best);
        expect(r.primal.stored).toBeLessThanOrEqual(best);
        expect(r.greedy.stored).toBeLessThanOrEqual(r.primal.stored);
        expect(scheduleViolation(r.primal.polls, o)).toBeNull();
        expect(evaluateSchedule(sources, r.primal.polls, o).reduce((s, x) => s + x, 0)).toBe(r.primal.stored);
      }
    }
  });

  it('stays a bound with a feasible primal when cells are not whole ms and the horizon cuts the last cell', () => {
    const next = lcg(12345);
    for (let trial = 0; trial < 60; trial++) {
      const intervalMs = 2 + Math.floor(next() * 4);
      const toMs = 6 + Math.floor(next() * 6);
      const tailMs = Math.floor(next() * 5);
      const o: FairOracleOptions = {
        fromMs: 0,
        toMs,
        tailMs,
        intervalMs,
        cacheMs: next() < 0.5 ? 0 : Math.floor(next() * 8),
        window: 1 + Math.floor(next() * 4),
        cellsPerInterval: 1 + Math.floor(next() * 5),
        iterations: 100,
      };
      const sources = [0, 1].map(() => tradeTimesSource(randomTimes(next, Math.floor(next() * 12), -3, toMs + tailMs)));
      const r = fairOracle(sources, o);
      const best = bruteForce(sources, o);
      expect(r.bound.stored).toBeGreaterThanOrEqual(best);
      expect(r.primal.stored).toBeLessThanOrEqual(best);
      expect(scheduleViolation(r.primal.polls, o)).toBeNull();
    }
  });

  it('counts the pacing: a burst that calls back to back could empty needs calls an interval apart', () => {
    // 8 trades in 4 ms, then one a ms: a window of 4, calls 10 ms apart in 20 ms. Unpaced, polls at 1, 3, 7 and 9
    // store all 13; paced, two calls of 4 are all any schedule can make.
    const src = tradeTimesSource([0, 0, 1, 1, 2, 2, 3, 3, 5, 6, 7, 8, 9]);
    const o: FairOracleOptions = { fromMs: 0, toMs: 20, tailMs: 0, intervalMs: 10, cacheMs: 0, window: 4 };
    expect(fairOracle([src], { ...o, cellsPerInterval: 10 }).bound.stored).toBe(8);
    expect(fairOracle([src], { ...o, cellsPerInterval: 1 }).bound.stored).toBeGreaterThanOrEqual(8);
    expect(fairOracle([src], { ...o, intervalMs: 1, cellsPerInterval: 1 }).bound.stored).toBe(13);
  });

  it('on a simulated market with a burst: a bound above the greedy, a paced primal that respects the cache', () => {
    const pools = [60, 12, 3, 0.5, 0.05].map((tradesPerSecond, index) =>
      createSimPool({
        network: 'solana',
        seed: 3,
        index,
        tradesPerSecond,
        originMs: 0,
        bursts: { windowMs: 60_000, lengthMs: 15_000, factor: 10 },
      }),
    );
    const sources = pools.map(simTradeSource);
    const START = Date.parse('2025-09-01T12:00:00Z');
    for (const cacheMs of [0, 15_000]) {
      const o: FairOracleOptions = {
        fromMs: START,
        toMs: START + 60_000,
        tailMs: 15_000,
        intervalMs: 1500,
        cacheMs,
        iterations: 150,
      };
      const r = fairOracle(sources, o);
      expect(r.made).toBeGreaterThan(3000);
      expect(r.bound.stored).toBeGreaterThanOrEqual(r.primal.stored);
      expect(r.primal.stored).toBeGreaterThanOrEqual(r.greedy.stored);
      // The greedy on the limiter's own slots is a feasible schedule too.
      const greedy = greedySchedule(sources, o);
      expect(scheduleViolation(greedy, o)).toBeNull();
      expect(evaluateSchedule(sources, greedy, o).reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(r.bound.stored);
      expect(scheduleViolation(r.primal.polls, o)).toBeNull();
      // Paced: at most one call per interval over the interval and its tail.
      expect(r.primal.calls).toBeLessThanOrEqual(75_000 / 1500);
      expect(r.bound.stored).toBeLessThan(r.made);
      // The gap is known and small: the primal within 10 % of the bound.
      expect(r.primal.stored).toBeGreaterThan(0.9 * r.bound.stored);
    }
  });
});

describe('fairOracle with a final poll (bench:completeness --credit-stop)', () => {
  it("credits every pool with what its window still holds at the tail's end, and nothing past a full window", () => {
    const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);
    // One call in the whole horizon. Quiet pools: 100 and 50 trades in the interval. Busy: 100 in it, then 400 in
    // the tail, so that its window at the end holds none of the interval's.
    const sources = [
      tradeTimesSource(range(1000, 100, 5)),
      tradeTimesSource(range(1100, 50, 10)),
      tradeTimesSource([...range(1000, 100, 9), ...range(2000, 400)]),
    ];
    const o: FairOracleOptions = { fromMs: 1000, toMs: 2000, tailMs: 500, intervalMs: 1600, cacheMs: 0 };
    const plain = fairOracle(sources, o);
    expect(plain.bound.stored).toBe(100);
    expect(plain.primal.stored).toBe(100);
    const credited = fairOracle(sources, { ...o, finalPoll: true });
    // The one call takes the busy pool's 100 before the tail buries them; the final poll finds the quiet pools' 150.
    expect(credited.primal.stored).toBe(250);
    expect(credited.bound.stored).toBe(250);
    expect(credited.primal.polls.map((p) => p.pool)).toEqual([2]);
  });
});
