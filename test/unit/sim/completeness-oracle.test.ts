import { describe, expect, it } from 'vitest';
import { oraclePool, oracleSplit, WINDOW } from '../../../bench/completeness-oracle.ts';
import { createSimPool } from '../../../src/sim/sim-trade-source.ts';
import { tradesMade } from '../../../src/sim/sim-truth.ts';

const START = Date.parse('2025-09-01T12:00:00Z');
const TEN_MIN = 600_000;

function pool(tradesPerSecond: number, index = 0) {
  return createSimPool({
    network: 'solana',
    seed: 5,
    index,
    tradesPerSecond,
    originMs: 0,
    bursts: { windowMs: 300_000, lengthMs: 30_000, factor: 10 },
  });
}

describe('completeness oracle', () => {
  it('stores everything without a cache with ceil(made / 300) polls, each but the last a full window', () => {
    const p = pool(3);
    const o = oraclePool(p, START, START + TEN_MIN, 0);
    expect(o.made).toBe(tradesMade(p, START, START + TEN_MIN));
    expect(o.made).toBeGreaterThan(3 * 600);
    expect(o.reachable).toBe(o.made);
    expect(o.polls).toBe(Math.ceil(o.made / WINDOW));
    expect(o.perPoll.slice(0, -1).every((n) => n === WINDOW)).toBe(true);
  });

  it('loses what the cache hides in a burst, and never needs more polls than the cache allows', () => {
    // 30 trades/s, x10 in bursts: 300 trades come in 1 s of a burst, while the cache is 60 s.
    const p = pool(30);
    const o = oraclePool(p, START, START + TEN_MIN, 60_000);
    expect(o.polls).toBeLessThanOrEqual(11);
    expect(o.reachable).toBe(WINDOW * (o.polls - 1) + o.perPoll.at(-1)!);
    expect(o.reachable).toBeLessThan(o.made / 5);
    // A quiet pool loses nothing to the cache.
    const quiet = oraclePool(pool(0.2, 1), START, START + TEN_MIN, 60_000);
    expect(quiet.reachable).toBe(quiet.made);
  });

  it('gives calls to the pools where one more stores the most', () => {
    const busy = oraclePool(pool(3), START, START + TEN_MIN, 0);
    const quiet = oraclePool(pool(0.1, 1), START, START + TEN_MIN, 0);
    expect(quiet.polls).toBe(1);
    const all = oracleSplit([busy, quiet], Number.POSITIVE_INFINITY);
    expect(all.completeness).toBe(1);
    expect(all.callsForAll).toBe(busy.polls + 1);
    // One call short: the smallest gain (the quiet pool's, or the busy pool's last partial window) goes.
    const short = oracleSplit([busy, quiet], all.callsForAll - 1);
    expect(short.stored).toBe(all.stored - Math.min(quiet.made, busy.perPoll.at(-1)!));
    // Two calls: two full windows of the busy pool.
    expect(oracleSplit([busy, quiet], 2).stored).toBe(2 * WINDOW);
    expect(oracleSplit([busy, quiet], 0).stored).toBe(0);
  });
});
