// A pool's prior trade rate from the pools endpoints' `transactions` counters: the shortest window with enough
// trades, a young pool's age as the window, nothing from absent or all-zero counters; and from parsed pools.
import { describe, expect, it } from 'vitest';
import { counterRate, counterRates, PRIOR_MIN_TRADES } from '../../../src/gecko/pool-counters.ts';
import { parsePoolsBody } from '../../../src/gecko/pool-parser.ts';
import { readGeckoFixture } from '../../support/gecko-fixtures.ts';

type Counts = { buys: number; sells: number };
const w = (buys: number, sells: number) => ({ buys, sells, buyers: buys, sellers: sells });

describe('counterRate', () => {
  it('takes the shortest window with enough trades, over its length', () => {
    // m5 has 600 trades: 2/s.
    expect(counterRate({ m5: w(330, 270), m15: w(900, 900), h1: w(3000, 3000), h24: w(1e5, 1e5) })).toBeCloseTo(2, 9);
    // m5 and m15 too few: m30's 40 over 1800 s.
    const quiet = { m5: w(1, 1), m15: w(5, 5), m30: w(25, 15), h1: w(50, 50), h6: w(200, 200), h24: w(500, 500) };
    expect(counterRate(quiet)).toBeCloseTo(40 / 1800, 9);
    expect(PRIOR_MIN_TRADES).toBeLessThanOrEqual(40);
  });

  it('takes the longest window when none has enough, and nothing when all are zero or absent', () => {
    expect(counterRate({ m5: w(0, 0), h1: w(1, 0), h24: w(6, 6) })).toBeCloseTo(12 / 86_400, 12);
    expect(counterRate({ m5: w(0, 0), m15: w(0, 0), m30: w(0, 0), h1: w(0, 0), h6: w(0, 0), h24: w(0, 0) })).toBe(
      undefined,
    );
    expect(counterRate(null)).toBeUndefined();
    expect(counterRate(undefined)).toBeUndefined();
    expect(counterRate({ m5: 'x', h24: { buyers: 3 } })).toBeUndefined();
    // Counts as strings are read; negative or unreadable ones are not.
    expect(counterRate({ m5: { buys: '150', sells: '150' } })).toBeCloseTo(1, 9);
    expect(counterRate({ m5: { buys: -5, sells: 'many' } })).toBeUndefined();
  });

  it("takes a young pool's age as the window (all its windows hold the same trades), a minute at least", () => {
    const all = (n: number) => ({ m5: w(n, 0), m15: w(n, 0), m30: w(n, 0), h1: w(n, 0), h6: w(n, 0), h24: w(n, 0) });
    expect(counterRate(all(120), 120)).toBeCloseTo(1, 9);
    expect(counterRate(all(120), 5)).toBeCloseTo(2, 9);
    expect(counterRate(all(20), 1000)).toBeCloseTo(20 / 1000, 9);
  });
});

describe('counterRates', () => {
  it("reads each parsed pool's counters from its metadata, by address (the real new_pools body)", () => {
    const body = readGeckoFixture('new_pools_solana.json');
    const { pools } = parsePoolsBody(body, { network: 'solana' });
    type Raw = { attributes: { address: string; pool_created_at: string; transactions: Record<string, Counts> } };
    const raw = (JSON.parse(body) as { data: Raw[] }).data;
    // Two minutes after the newest was created: every pool is younger than 5 minutes, its windows span its age.
    const nowMs = Date.parse(raw[0]!.attributes.pool_created_at) + 120_000;
    const rates = counterRates(pools, nowMs);
    expect(rates.size).toBe(raw.length);
    for (const p of raw) {
      const m5 = p.attributes.transactions.m5!;
      const ageS = (nowMs - Date.parse(p.attributes.pool_created_at)) / 1000;
      expect(ageS).toBeLessThan(300);
      expect(rates.get(p.attributes.address)).toBeCloseTo((m5.buys + m5.sells) / ageS, 9);
    }
  });
});
