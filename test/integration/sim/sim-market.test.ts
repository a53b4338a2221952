import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { startGeckoSimulator } from '../../../src/sim/gecko-simulator.ts';
import { simPoolRates, skewedPoolRates, skewedRates } from '../../../src/sim/sim-market.ts';

const START = Date.parse('2025-09-01T12:00:00Z');
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('skewed market', () => {
  it('spreads 24 pools from 60 trades/s down to 0.05, heavy-tailed', () => {
    const rates = skewedRates(24, 60, 0.05);
    expect(rates[0]).toBe(60);
    expect(rates[23]).toBeCloseTo(0.05, 12);
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]!);
    // A Zipf head: the second pool about half the first, the third about a third (bent down a little).
    expect(rates[1]! / rates[0]!).toBeGreaterThan(0.4);
    expect(rates[2]! / rates[0]!).toBeGreaterThan(0.2);
    const sorted = [...rates].sort((a, b) => a - b);
    const median = (sorted[11]! + sorted[12]!) / 2;
    expect(rates[0]! / median).toBeGreaterThan(50);
    // The top five pools make most of the trades; the bottom half almost none.
    expect(sum(rates.slice(0, 5)) / sum(rates)).toBeGreaterThan(0.8);
    expect(sum(rates.slice(12)) / sum(rates)).toBeLessThan(0.05);
  });

  it('deals the same rates to the same pools for a seed, and another order for another seed', () => {
    const a = skewedPoolRates(24, 60, 0.05, 7);
    expect(skewedPoolRates(24, 60, 0.05, 7)).toEqual(a);
    const b = skewedPoolRates(24, 60, 0.05, 8);
    expect(b).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual([...b].sort((x, y) => x - y));
    expect(a[0]).not.toBe(60);
  });

  it('refuses a quietest rate that would not make a skewed spread', () => {
    expect(() => skewedRates(24, 60, 10)).toThrow(ConfigError);
    expect(() => skewedRates(24, 60, 0)).toThrow(/quietest rate above 0/);
    expect(() => simPoolRates({ pools: 3, market: 'skewed', tradesPerSecond: [1, 2], seed: 1 })).toThrow(ConfigError);
    expect(skewedRates(1, 5, 0.05)).toEqual([5]);
  });

  it('is what a simulator started with market skewed serves, the same pools and rates for a seed', async () => {
    const clock = () => START;
    const [a, b, uniform] = await Promise.all([
      startGeckoSimulator({ pools: 24, market: 'skewed', seed: 4, clock }),
      startGeckoSimulator({ pools: 24, market: 'skewed', seed: 4, clock }),
      startGeckoSimulator({ pools: 24, seed: 4, clock, tradesPerSecond: 4 }),
    ]);
    try {
      expect(a.pools.map((p) => p.tradesPerSecond)).toEqual(skewedPoolRates(24, 60, 0.05, 4));
      expect(b.pools.map((p) => [p.address, p.tradesPerSecond])).toEqual(
        a.pools.map((p) => [p.address, p.tradesPerSecond]),
      );
      expect(new Set(uniform.pools.map((p) => p.tradesPerSecond))).toEqual(new Set([4]));
      // The market changes the rates, not the pools.
      expect(uniform.pools.map((p) => p.address)).toEqual(a.pools.map((p) => p.address));
    } finally {
      await Promise.all([a.close(), b.close(), uniform.close()]);
    }
  });
});
